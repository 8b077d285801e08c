image "hero" { # ERROR: Missing required argument
  model = "gpt-image-1"
  promt = "a hero" # ERROR: Unsupported argument
  path  = "out/hero.png"
}

chat "tagline" {
  model  = "deepseek-v3"
  prompt = "hi"
  colour = "red" # ERROR: Unsupported argument
}
