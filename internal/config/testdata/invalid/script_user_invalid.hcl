keepalived {
  script_user = "Root" # ERROR: Invalid script_user
}

host "web1" {
  address = "192.168.19.101"
}
