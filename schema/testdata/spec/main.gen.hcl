genform {
  state       = "genform.state.json"
  parallelism = 8
  budget      = 20.00
}

variable "brand" {
  type        = string
  default     = "Acme"
  description = "Brand name"
  sensitive   = false
  validation {
    condition     = length(var.brand) > 0
    error_message = "brand must not be empty"
  }
}

locals {
  styles = toset(["watercolor", "pixel art"])
}

provider "wisdomgate" {
  alias               = "fast"
  api_key             = env("WISDOM_GATE_KEY")
  base_url            = "https://wisdom-gate.juheapi.com"
  timeout             = "120s"
  max_retries         = 5
  requests_per_minute = 0
  concurrency         = 0
}

provider "offline" {}

chat "tagline" {
  provider    = wisdomgate
  model       = "deepseek-v3"
  system      = "You write short taglines."
  prompt      = "A tagline for ${var.brand}"
  temperature = 0.7
  max_tokens  = 200
  path        = "out/tagline.txt"
}

image "hero" {
  for_each     = local.styles
  model        = "gemini-3-pro-image-preview"
  prompt       = "${chat.tagline.text}, ${each.value}"
  aspect_ratio = "16:9"
  resolution   = "2K"
  references   = ["refs/logo.png"]
  path         = "out/hero-${replace(each.key, " ", "-")}.png"
}

image "icon" {
  model      = "gpt-image-1"
  prompt     = file("prompts/icon.md")
  size       = "1024x1024"
  quality    = "high"
  background = "transparent"
  path       = "out/icon.png"
}

video "teaser" {
  model     = "sora-2"
  seconds   = 8
  size      = "1280x720"
  reference = image.hero["watercolor"].path
  shot {
    duration = 4
    scene    = "The logo fades in."
  }
  shot {
    duration = 4
    scene    = "Camera pans across the watercolor skyline."
  }
  path = "out/teaser.mp4"
}

output "hero_files" {
  value = [for h in image.hero : h.path]
}
