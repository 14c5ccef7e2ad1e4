host "web1" {
  address  = "192.168.19.101"
  hostname = "web1.example.com" # ERROR: Unsupported argument
}
