variable "brand" { # ERROR: No value for required variable
  type = string
}

variable "fine" {
  default = "x"
}
