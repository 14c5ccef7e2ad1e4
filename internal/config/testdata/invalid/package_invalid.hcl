host "web1" {
  address  = "192.168.19.101"
  packages = ["nginx && reboot"] # ERROR: Invalid package name
}
