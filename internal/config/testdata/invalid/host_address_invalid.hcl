host "web1" {
  address = "192.168.19.101; reboot" # ERROR: Invalid address
}
