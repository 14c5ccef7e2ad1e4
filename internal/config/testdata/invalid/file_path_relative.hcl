host "web1" {
  address = "192.168.19.101"
  file "var/www/html/index.html" { # ERROR: Invalid file path
    content = "x"
  }
}
