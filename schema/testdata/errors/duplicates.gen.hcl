genform {
  parallelism = 4
}

genform { # ERROR: Duplicate genform block
  budget = 3
}

variable "brand" {
  default = "a"
}

variable "brand" { # ERROR: Duplicate variable block
  default = "b"
}

provider "offline" {}
provider "offline" {} # ERROR: Duplicate provider block

image "hero" {
  model  = "m"
  prompt = "p"
  path   = "out/a.png"
}

image "hero" { # ERROR: Duplicate image block
  model  = "m"
  prompt = "p"
  path   = "out/b.png"
}

output "x" {
  value = 1
}

output "x" { # ERROR: Duplicate output block
  value = 2
}
