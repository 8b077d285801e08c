# A versioned prompt library: every Markdown file under prompts/ is one image, and
# style.tmpl is the house style every prompt is wrapped in. Review prompt changes like code:
# editing one prompt file regenerates exactly that image; editing style.tmpl regenerates all.
#
#   genform -chdir=examples/prompt-library plan
#
# It runs on the offline provider so it can be applied anywhere. To generate for real, put
# provider "wisdomgate" {} here instead (it reads WISDOM_GATE_KEY).

variable "house_style" {
  type        = string
  default     = "soft daylight, muted pastel palette, generous negative space"
  description = "The look every image shares."
}

locals {
  # Every prompt file, as a path relative to prompts/: "products/teapot.md", ...
  prompts = fileset("prompts", "**/*.md")
}

provider "offline" {}

image "library" {
  for_each = local.prompts
  model    = "gemini-3-pro-image-preview"
  # The template gets the prompt file's text; both files are inputs of this image, hashed
  # by content.
  prompt = templatefile("style.tmpl", {
    subject = trimspace(file("prompts/${each.key}"))
    style   = var.house_style
    topic   = dirname(each.key)
  })
  aspect_ratio = "1:1"
  resolution   = "1K"
  # prompts/products/teapot.md -> out/products/teapot.png
  path = "out/${trimsuffix(each.key, ".md")}.png"
}

output "images" {
  value = { for k, img in image.library : k => img.path }
}
