host "web1" {
  address = "192.168.19.101"
  user    = "root -oProxyCommand=x" # ERROR: Invalid user name
}
