host "web1" {
  address = "192.168.19.101"
  file "/var/www/index.html" {
    content = "x"
    mode    = "17777" # ERROR: Invalid file mode
  }
}
