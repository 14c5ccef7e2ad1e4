variable "pw" {
  default = "a"
}

variable "pw" { # ERROR: Duplicate variable block
  default = "b"
}

host "web1" {
  address = "192.168.19.101"
}
