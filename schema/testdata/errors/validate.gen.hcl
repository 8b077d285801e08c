chat "hot" {
  model       = "m"
  prompt      = "p"
  temperature = "hot" # ERROR: Incorrect attribute value type
  max_tokens  = 1.5 # ERROR: Invalid value
  options     = "fast" # ERROR: Invalid options
}

image "abs" {
  model  = "m"
  prompt = "p"
  path   = "/tmp/abs.png" # ERROR: Invalid output path
}

image "escape" {
  model  = "m"
  prompt = "p"
  path   = "out/../../escape.png" # ERROR: Invalid output path
}

image "first" {
  model  = "m"
  prompt = "p"
  path   = "out/same.png"
}

image "second" {
  model  = "m"
  prompt = "p"
  path   = "out/./same.png" # ERROR: Duplicate output path
}

image "fixed" {
  for_each = toset(["a", "b", "c"])
  model    = "m"
  prompt   = each.key
  path     = "out/fixed.png" # ERROR: Duplicate output path
}

image "refs" {
  model      = "m"
  prompt     = "p"
  path       = "out/refs.png"
  references = ["out/same.png", "refs/missing.png", image.first.path] # ERROR: Missing input file
  mask       = "../outside.png" # ERROR: Invalid input file
}

video "v" {
  model     = "sora-2"
  path      = "out/v.mp4"
  reference = chat.hot.text # unknown: fine
  shot {
    duration = 0 # ERROR: Invalid shot duration
    scene    = "x"
  }
  shot {
    duration = "long" # ERROR: Incorrect attribute value type
    scene    = "y"
  }
}

chat "null_model" {
  model  = null # ERROR: Missing required argument
  prompt = "p"
  system = null # null: as if not set
}

output "bad" {
  value = length(5) # ERROR: Error in function call
}
