# A product launch through the Wisdom Gate gateway: a tagline written by a chat model, hero
# images from Gemini with the brand's logo as a reference, an icon with a transparent
# background from gpt-image-1, and a teaser video from veo-3.1 that starts from a hero image.
#
# Planning needs no key and reads no network:
#
#   genform -chdir=examples/product-launch plan
#   genform -chdir=examples/product-launch plan -var brand="Moon Tea" -var budget=2
#
# Applying calls the gateway and costs money: export WISDOM_GATE_KEY=... first.

genform {
  budget = var.budget # plan and apply refuse a plan estimated above this, in US dollars
}

variable "brand" {
  type        = string
  default     = "Acme Tea"
  description = "The brand every asset is about."
  validation {
    condition     = length(trimspace(var.brand)) > 0
    error_message = "brand must not be empty."
  }
}

variable "budget" {
  type        = number
  default     = 5
  description = "The most one plan may cost, in US dollars."
}

variable "moods" {
  type        = set(string)
  default     = ["sunrise", "night market"]
  description = "One hero image per mood."
}

# The gateway. api_key defaults to env("WISDOM_GATE_KEY"); the other arguments are shown with
# their defaults, except max_retries.
provider "wisdomgate" {
  base_url    = "https://wisdom-gate.juheapi.com"
  timeout     = "120s"
  max_retries = 3
  # genform's model table has no price for these two, and a budget refuses a plan of unknown
  # cost: give them yours, in USD per request (these are estimates; check your gateway bill).
  prices = {
    "gpt-image-1" = 0.04
    "veo-3.1"     = 0.50
  }
}

# deepseek-v3 is free on the gateway.
chat "tagline" {
  model       = "deepseek-v3"
  system      = "You write launch taglines: one line, at most eight words, no quotes."
  prompt      = "A tagline for ${var.brand}, a new tea brand for people who work late."
  temperature = 0.7
  max_tokens  = 60
  path        = "out/tagline.txt"
}

# One 16:9 hero per mood at 2K ($0.13 each), with the logo as a reference image: editing
# refs/logo.png regenerates every hero, since input files are hashed by content.
image "hero" {
  for_each     = var.moods
  model        = "gemini-3-pro-image-preview"
  prompt       = "A launch hero image for ${var.brand}: ${chat.tagline.text}. Mood: ${each.value}. Place the logo from the reference subtly on the cup."
  aspect_ratio = "16:9"
  resolution   = "2K"
  references   = ["refs/logo.png"]
  path         = "out/hero-${replace(each.key, " ", "-")}.png"
}

# An app icon with a transparent background, its prompt in a file of its own.
image "icon" {
  model      = "gpt-image-1"
  prompt     = templatefile("prompts/icon.md", { brand = var.brand })
  size       = "1024x1024"
  quality    = "high"
  background = "transparent"
  path       = "out/icon.png"
}

# An 8-second teaser told as a storyboard; the sunrise hero is its first frame.
video "teaser" {
  model     = "veo-3.1"
  seconds   = 8
  size      = "1280x720"
  reference = image.hero["sunrise"].path
  shot {
    duration = 4
    scene    = "Steam rises from a cup of ${var.brand} at sunrise; the camera slowly pushes in."
  }
  shot {
    duration = 4
    scene    = "The tagline appears: ${chat.tagline.text}"
  }
  path = "out/teaser.mp4"
}

output "tagline" {
  value = chat.tagline.text
}

output "heroes" {
  value = { for k, h in image.hero : k => h.path }
}

output "files" {
  value = concat([for h in image.hero : h.path], [image.icon.path, video.teaser.path])
}
