host "web1" {
  address = "192.168.19.101"
  file "/var/www/index.html" { # ERROR: Missing required argument
    mode = "0644"
  }
}
