# One Cloud Run v2 service per function, all from the same Dockerfile (one image per
# function, tagged with the deployed commit). Settings per type are in functions.tf, the
# environment in environment.tf.

resource "google_cloud_run_v2_service" "function" {
  for_each = local.functions

  name                = each.key
  location            = var.region
  description         = "AI Content Factory: ${each.key} (${local.settings[each.key].type})"
  ingress             = local.settings[each.key].ingress
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.function[each.key].email
    timeout                          = "${local.settings[each.key].timeout_seconds}s"
    max_instance_request_concurrency = local.settings[each.key].concurrency
    execution_environment            = "EXECUTION_ENVIRONMENT_GEN2"

    scaling {
      min_instance_count = var.min_instances[local.settings[each.key].type]
      max_instance_count = var.max_instances[local.settings[each.key].type]
    }

    containers {
      name  = each.key
      image = "${local.image_base}/${each.key}:${var.image_tag}"

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = local.settings[each.key].cpu
          memory = local.settings[each.key].memory
        }
        cpu_idle          = true
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.service_env[each.key]
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = local.service_secrets[each.key]
        content {
          name = env.value
          value_source {
            secret_key_ref {
              secret  = google_secret_manager_secret.env[env.value].secret_id
              version = "latest"
            }
          }
        }
      }

      # /healthz answers without I/O once the process listens.
      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 1
        timeout_seconds   = 1
        failure_threshold = 30
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 30
        timeout_seconds   = 5
        failure_threshold = 3
      }
    }
  }

  depends_on = [
    google_project_service.api,
    google_secret_manager_secret_iam_member.accessor,
  ]
}
