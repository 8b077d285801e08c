locals {
  names = ["a", "b"]
}

image "list" {
  for_each = local.names # ERROR: Invalid for_each argument
  model    = "m"
  prompt   = "p"
  path     = "out/${each.key}.png"
}

image "numbers" {
  for_each = toset([1, 2]) # ERROR: Invalid for_each argument
  model    = "m"
  prompt   = "p"
  path     = "out/n${each.key}.png"
}

image "negative" {
  count  = -1 # ERROR: Invalid count argument
  model  = "m"
  prompt = "p"
  path   = "out/neg${count.index}.png"
}

image "fraction" {
  count  = 1.5 # ERROR: Invalid count argument
  model  = "m"
  prompt = "p"
  path   = "out/f${count.index}.png"
}

chat "c" {
  model  = "m"
  prompt = "p"
}

image "dynamic" {
  count  = length(chat.c.text) # ERROR: Invalid reference to an asset
  model  = "m"
  prompt = "p"
  path   = "out/d${count.index}.png"
}
