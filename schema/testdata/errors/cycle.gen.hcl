chat "a" {
  model  = "m"
  prompt = chat.c.text # ERROR: Dependency cycle
}

chat "b" {
  model  = "m"
  prompt = chat.a.text
}

chat "c" {
  model      = "m"
  prompt     = "p"
  depends_on = [chat.b]
}

chat "d" {
  model  = "m"
  prompt = chat.a.text
}

image "self" {
  count  = 2
  model  = "m"
  prompt = "p"
  path   = "out/${count.index}.png"
  mask   = image.self[0].path # ERROR: Dependency cycle
}
