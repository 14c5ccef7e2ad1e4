keepalived {
  smtp_server = "127.0.0.1 25" # ERROR: Invalid SMTP server
}

host "web1" {
  address = "192.168.19.101"
}
