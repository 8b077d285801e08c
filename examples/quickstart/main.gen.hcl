# The quickstart: a tagline, two posters made from it, and a teaser made from a poster.
# It runs on the offline provider, which renders placeholder media on this machine:
# no network, no key, no cost. From the repository root:
#
#   make demo                                        # build genform and apply this folder
#   bin/genform -chdir=examples/quickstart plan      # then: "No changes."
#
# Change the brand (bin/genform -chdir=examples/quickstart plan -var brand="Moon Tea") to see
# the tagline change and everything downstream of it regenerate.

genform {
  parallelism = 4
}

variable "brand" {
  type        = string
  default     = "Acme Tea"
  description = "The brand every asset is about."
}

locals {
  styles = toset(["watercolor", "pixel art"])
}

provider "offline" {
  latency = "50ms" # a pretend generation time, so the progress display has something to show
}

# A chat asset: its text is also written to path.
chat "tagline" {
  model  = "deepseek-v3"
  system = "You write short, warm taglines."
  prompt = "Write a tagline for ${var.brand}."
  path   = "out/tagline.txt"
}

# One poster per style. Using chat.tagline.text orders the work (the tagline comes first)
# and makes a new tagline regenerate both posters.
image "poster" {
  for_each     = local.styles
  model        = "gemini-3-pro-image-preview"
  prompt       = "A poster for ${var.brand} saying \"${chat.tagline.text}\", ${each.value} style"
  aspect_ratio = "16:9"
  resolution   = "1K"
  path         = "out/poster-${replace(each.key, " ", "-")}.png"
}

# A short storyboard rendered as an animated GIF, starting from the watercolor poster.
video "teaser" {
  model     = "veo-3.1"
  size      = "320x180"
  reference = image.poster["watercolor"].path
  shot {
    duration = 2
    scene    = "The ${var.brand} logo fades in over a watercolor sky."
  }
  shot {
    duration = 2
    scene    = "The camera pans across the posters."
  }
  path = "out/teaser.gif"
}

output "tagline" {
  value = chat.tagline.text
}

output "files" {
  value = concat([chat.tagline.path], [for p in image.poster : p.path], [video.teaser.path])
}
