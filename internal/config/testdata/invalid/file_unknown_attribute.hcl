host "web1" {
  address = "192.168.19.101"
  file "/var/www/index.html" {
    content = "x"
    size    = 10 # ERROR: Unsupported argument
  }
}
