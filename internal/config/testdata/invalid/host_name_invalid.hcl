host "web 1" { # ERROR: Invalid host name
  address = "192.168.19.101"
}
