# The Google Cloud APIs the deployment uses. They stay enabled when this configuration is
# destroyed (other things in the project may use them).

locals {
  uses_vertex = anytrue([for spec in concat([var.model], values(var.model_overrides)) : startswith(spec, "vertex:")])

  apis = toset(concat([
    "artifactregistry.googleapis.com",
    "cloudresourcemanager.googleapis.com",
    "cloudscheduler.googleapis.com",
    "firestore.googleapis.com",
    "iam.googleapis.com",
    "iamcredentials.googleapis.com", # signBlob for V4 signed download URLs
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "pubsub.googleapis.com",
    "run.googleapis.com",
    "secretmanager.googleapis.com",
    "storage.googleapis.com",
    ], local.uses_vertex ? ["aiplatform.googleapis.com"] : [],
  var.speech == "google" ? ["texttospeech.googleapis.com"] : []))
}

resource "google_project_service" "api" {
  for_each = local.apis

  service            = each.value
  disable_on_destroy = false
}
