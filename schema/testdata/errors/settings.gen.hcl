genform {
  state       = "../state.json" # ERROR: Invalid state path
  parallelism = 0 # ERROR: Invalid parallelism
  budget      = -1 # ERROR: Invalid budget
}
