variable "brand" {
  default = "Acme"
}

chat "tagline" {
  model  = "m"
  prompt = "A tagline for ${var.brnad}" # ERROR: Reference to undeclared input variable
}

image "hero" {
  for_each = toset(["dawn", "dusk"])
  model    = "m"
  prompt   = "${chat.tagine.text} at ${each.key}" # ERROR: Reference to undeclared asset
  path     = "out/hero-${each.key}.png"
}

image "grid" {
  count  = 2
  model  = "m"
  prompt = chat.tagline.txt # ERROR: Unsupported attribute
  path   = "out/grid-${count.index}.png"
  style  = each.key # ERROR: Reference to "each" outside for_each
}

video "teaser" {
  model     = "sora-2"
  path      = "out/teaser.mp4"
  prompt    = image.hero["dwan"].path # ERROR: Reference to undeclared instance key
  reference = image.hero.path # ERROR: Missing instance key
  size      = image.grid[2].path # ERROR: Invalid instance key
  options = {
    a = chat.tagline["x"].text # ERROR: Unexpected instance key
    b = count.index # ERROR: Reference to "count" outside count
    c = path.cwd # ERROR: Unsupported attribute
    d = foo.bar # ERROR: Reference to unknown name
  }
}

output "o" {
  value = image.hero["dawn"].path
}

output "p" {
  value = each.value # ERROR: Reference to "each" outside for_each
}
