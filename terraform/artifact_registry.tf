# The Docker repository holding one image per function (<region>-docker.pkg.dev/<project>/<repo>/<function>).

resource "google_artifact_registry_repository" "images" {
  #checkov:skip=CKV_GCP_84: images hold no secrets or data; Google-managed encryption is enough and avoids running a KMS key for them
  repository_id = var.artifact_repository
  location      = var.region
  format        = "DOCKER"
  description   = "AI Content Factory function images (${var.environment})"

  docker_config {
    immutable_tags = true
  }

  # Keep the images of recent deployments for roll-back; delete older untagged layers.
  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 20
    }
  }
  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"
    condition {
      older_than = "7776000s" # 90 days
    }
  }

  depends_on = [google_project_service.api]
}
