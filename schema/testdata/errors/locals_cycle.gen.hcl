locals {
  a = local.c # ERROR: Cycle in local values
  b = local.a
  c = "${local.b}!"
  d = local.a
  self = local.self # ERROR: Cycle in local values
}
