# Cloud Scheduler calls the maintenance sweep every minute with an OIDC token of the invoker
# account. Sweeps may overlap, so a late or repeated call is harmless; a failed call is not
# retried (the next minute's call is the retry).

resource "google_cloud_scheduler_job" "maintenance" {
  name             = "factory-maintenance"
  description      = "Runs the maintenance sweep (POST /internal/maintenance on maintenance)."
  schedule         = "* * * * *"
  time_zone        = "Etc/UTC"
  region           = var.region
  attempt_deadline = "320s"

  retry_config {
    retry_count = 0
  }

  http_target {
    http_method = "POST"
    uri         = "${google_cloud_run_v2_service.function["maintenance"].uri}/internal/maintenance"

    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.service_url["maintenance"]
    }
  }

  depends_on = [google_project_service.api]
}
