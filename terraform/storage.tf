# The bucket for sources, artifacts, renderings and cached results. Private: uniform
# bucket-level access, public access prevented, objects reached only by the functions'
# service accounts and through V4 signed URLs from job-status.

resource "google_storage_bucket" "objects" {
  #checkov:skip=CKV_GCP_78: objects are written create-only and never overwritten, and deleting them after the retention is the point; versioning would keep noncurrent copies of deleted user content
  #checkov:skip=CKV_GCP_62: access is recorded by Cloud Audit Logs; a second bucket for legacy usage logs adds nothing here
  name                        = var.bucket_name
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Job files and cached results are deleted by the maintenance sweep after the retention
  # (FACTORY_RETENTION_DAYS); this rule is the backstop, a grace period later. Sources are
  # shared between jobs and deleted by the sweep only when no job uses them.
  lifecycle_rule {
    condition {
      age            = var.retention_days + var.lifecycle_grace_days
      matches_prefix = ["jobs/", "cache/"]
    }
    action {
      type = "Delete"
    }
  }

  # Uploads that never completed.
  lifecycle_rule {
    condition {
      age = 1
    }
    action {
      type = "AbortIncompleteMultipartUpload"
    }
  }

  depends_on = [google_project_service.api]
}
