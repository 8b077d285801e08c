imgae "hero" { # ERROR: Unsupported block type
  model = "gpt-image-1"
}

video "teaser" {
  model = "sora-2"
  path  = "out/teaser.mp4"
  shots { # ERROR: Unsupported block type
    duration = 4
  }
  shot {
    duration = 4
    scene    = "A scene"
  }
}
