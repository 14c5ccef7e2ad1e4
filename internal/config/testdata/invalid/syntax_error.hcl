host "web1" {
  address = "192.168.19.101" "x" # ERROR: Missing newline after argument
}
