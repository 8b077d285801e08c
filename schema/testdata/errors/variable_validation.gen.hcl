variable "brand" {
  type    = string
  default = ""
  validation {
    condition     = length(var.brand) > 0 # ERROR: Invalid value for variable
    error_message = "brand must not be empty"
  }
  validation {
    condition     = "maybe" # ERROR: Invalid validation condition
    error_message = "never shown"
  }
  validation {
    condition     = var.brand == "" # passes
    error_message = "never shown"
  }
}
