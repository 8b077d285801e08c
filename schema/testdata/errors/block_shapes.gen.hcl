image "1hero" { # ERROR: Invalid name
  model  = "m"
  prompt = "p"
  path   = "out/a.png"
}

image "both" {
  count    = 2
  for_each = toset(["a"]) # ERROR: Invalid combination of count and for_each
  model    = "m"
  prompt   = "p"
  path     = "out/b.png"
}

chat "life" {
  model  = "m"
  prompt = "p"
  lifecycle {
    ignore_changes = [promt] # ERROR: Unsupported attribute in ignore_changes
  }
  lifecycle { # ERROR: Duplicate lifecycle block
  }
}

chat "quoted" {
  provider = "offline" # ERROR: Invalid provider reference
  model    = "m"
  prompt   = "p"
}

provider "wisdomgat" {} # ERROR: Unknown provider type

provider "offline" {
  alias = "not valid" # ERROR: Invalid provider alias
}

variable "v" {
  type    = number
  default = "many" # ERROR: Invalid default value for variable
}

variable "w" {
  type = strang # ERROR: Invalid type specification
}
