provider "wisdomgate" {}

chat "a" {
  provider = wisdomgate.fast # ERROR: Reference to undeclared provider
  model    = "m"
  prompt   = "p"
}

chat "b" {
  provider = wizdomgate # ERROR: Reference to undeclared provider
  model    = "m"
  prompt   = "p"
}

chat "c" {
  provider = offline # an undeclared unaliased provider is used with its defaults
  model    = "m"
  prompt   = "p"
}
