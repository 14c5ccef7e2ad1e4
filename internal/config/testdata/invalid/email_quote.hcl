keepalived {
  notification_email_from = "root\"@example.com" # ERROR: Invalid e-mail address
}

host "web1" {
  address = "192.168.19.101"
}
