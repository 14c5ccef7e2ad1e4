host "web1" {
  address = "192.168.19.101"
}

service "nginx" { # ERROR: Unsupported block type
}
