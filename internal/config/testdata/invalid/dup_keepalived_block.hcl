keepalived {
  router_id = "A"
}

keepalived { # ERROR: Duplicate keepalived block
  router_id = "B"
}

host "web1" {
  address = "192.168.19.101"
}
