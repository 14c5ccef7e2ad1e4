host "web1" {
  address  = "192.168.19.101"
  packages = "nginx" # ERROR: Incorrect attribute value type
}
