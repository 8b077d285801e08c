variable "db" {
  default = "x"
}

genform {
  backend "pg" {
    conn_str  = var.db # ERROR: Variables not allowed
    schema    = ""     # ERROR: Empty schema
    workspace = 3      # ERROR: Incorrect attribute value type
    password  = "no"   # ERROR: Unsupported argument
  }
  backend "pg" {} # ERROR: Duplicate backend block
  backend "postgres" {} # ERROR: Unknown backend type
}

chat "a" {
  model  = "m"
  prompt = "p"
}
