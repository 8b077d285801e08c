chat "a" {
  model  = "m"
  prompt = "p"
}

image "deps" {
  model      = "m"
  prompt     = "p"
  path       = "out/deps.png"
  depends_on = [
    chat.a,
    "chat.a", # ERROR: Invalid depends_on reference
    var.x,    # ERROR: Invalid depends_on reference
  ]
}

image "more" {
  model      = "m"
  prompt     = "p"
  path       = "out/more.png"
  depends_on = [chat.b] # ERROR: Reference to undeclared asset
}

image "notalist" {
  model      = "m"
  prompt     = "p"
  path       = "out/notalist.png"
  depends_on = chat.a # ERROR: Invalid expression
}
