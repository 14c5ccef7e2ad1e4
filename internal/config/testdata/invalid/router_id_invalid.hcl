keepalived {
  router_id = "LVS DEVEL" # ERROR: Invalid router_id
}

host "web1" {
  address = "192.168.19.101"
}
