host "web1" {
  address = "192.168.19.101"
  file "/var/www/../../etc/shadow" { # ERROR: Invalid file path
    content = "x"
  }
}
