host "web1" {
  address  = "192.168.19.101"
  services = ["nginx;reboot"] # ERROR: Invalid service name
}
