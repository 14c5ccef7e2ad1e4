# keepalived 2.2.7 resolves the name as it loads the file: "Invalid smtp
# server mail.example.com 25" and exit 5 where it does not resolve.
keepalived {
  smtp_server = "mail.example.com" # ERROR: SMTP server is not an IP address
}

host "web1" {
  address = "192.168.19.101"
}
