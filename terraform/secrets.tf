# Secret Manager secrets, one per secret environment variable in var.secrets. Terraform
# creates the secret; its value is added out of band (`gcloud secrets versions add`, see
# docs/operations.md) so it never enters the Terraform state. Services read version "latest".

locals {
  # Which functions get which secret: model keys go to functions that build a model engine.
  secret_scope = {
    GEMINI_API_KEY = "model"
    OPENAI_API_KEY = "model"
    SENTRY_DSN     = "all"
  }

  # function => set of secret variable names it receives.
  service_secrets = {
    for name, s in local.settings : name => toset([
      for secret in var.secrets : secret
      if local.secret_scope[secret] == "all" || (local.secret_scope[secret] == "model" && s.model)
    ])
  }

  secret_grants = merge([
    for name, secrets in local.service_secrets : {
      for secret in secrets : "${name}/${secret}" => { function = name, secret = secret }
    }
  ]...)
}

resource "google_secret_manager_secret" "env" {
  for_each = var.secrets

  secret_id = "factory-${lower(replace(each.key, "_", "-"))}"

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}
