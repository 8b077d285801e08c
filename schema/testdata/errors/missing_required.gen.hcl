chat "no_model" { # ERROR: Missing required argument
  prompt = "hello"
}

video "no_prompt" { # ERROR: Missing prompt
  model = "sora-2"
  path  = "out/v.mp4"
}

image "no_path" { # ERROR: Missing required argument
  model  = "gpt-image-1"
  prompt = "p"
}

video "bad_shot" {
  model = "sora-2"
  path  = "out/w.mp4"
  shot { # ERROR: Missing required argument
    duration = 3
  }
}

output "empty" { # ERROR: Missing required argument
  description = "nothing"
}
