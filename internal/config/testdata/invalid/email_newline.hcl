keepalived {
  notification_email = ["root@example.com\nBcc: x@evil.example"] # ERROR: Invalid e-mail address
}

host "web1" {
  address = "192.168.19.101"
}
