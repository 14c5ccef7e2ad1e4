keepalived {
  config_mode = "0666" # ERROR: Invalid config_mode
}
host "web1" {
  address = "192.168.19.101"
}
