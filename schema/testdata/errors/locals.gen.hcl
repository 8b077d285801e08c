locals {
  a = local.b
  b = local.nope # ERROR: Reference to undeclared local value
  c = image.hero.path # ERROR: Invalid reference to an asset
  d = each.key # ERROR: Reference to "each" outside for_each
  e = var.missing # ERROR: Reference to undeclared input variable
}

locals {
  a = 2 # ERROR: Duplicate local value
}

image "hero" {
  model  = "m"
  prompt = "p"
  path   = "out/a.png"
}
