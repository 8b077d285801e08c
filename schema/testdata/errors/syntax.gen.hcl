image "hero" {
  model = = "m" # ERROR: Invalid expression
}
