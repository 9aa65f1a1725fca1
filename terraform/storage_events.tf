# Storage events: the bucket's OBJECT_FINALIZE notifications for jobs/ go to the gcs-events
# topic and are pushed to post-process. (A Cloud Storage notification rather than an Eventarc
# trigger, so the push carries an OIDC token whose audience Terraform sets to the service's own
# URL; the code understands both. See docs/adr/0008-deployment.md.)

resource "google_pubsub_topic" "gcs_events" {
  #checkov:skip=CKV_GCP_83: notifications carry object names and metadata only; Google-managed encryption is enough
  name = "gcs-events"

  depends_on = [google_project_service.api]
}

resource "google_storage_notification" "finalized" {
  bucket             = google_storage_bucket.objects.name
  topic              = google_pubsub_topic.gcs_events.id
  payload_format     = "JSON_API_V1"
  event_types        = ["OBJECT_FINALIZE"]
  object_name_prefix = "jobs/"

  depends_on = [google_pubsub_topic_iam_member.storage_notifications]
}

resource "google_pubsub_subscription" "post_process" {
  name   = "post-process"
  topic  = google_pubsub_topic.gcs_events.id
  filter = "attributes.eventType = \"OBJECT_FINALIZE\""

  ack_deadline_seconds       = 300
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.function["post-process"].uri}/internal/events/storage"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.service_url["post-process"]
    }
  }

  # A lost event is made good by the next maintenance sweep; redeliveries are idempotent.
  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}
