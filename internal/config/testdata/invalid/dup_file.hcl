host "web1" {
  address = "192.168.19.101"
  file "/var/www/html/index.html" {
    content = "one\n"
  }
  file "/var/www/html/index.html" { # ERROR: Duplicate file block
    content = "two\n"
  }
}
