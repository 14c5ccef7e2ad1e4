locals {
  page = "a"
}

locals {
  page = "b" # ERROR: Duplicate local value
}

host "web1" {
  address = "192.168.19.101"
}
