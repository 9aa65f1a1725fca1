# Pub/Sub: the steps topic with one push subscription per kind function, and the dead-letter
# topic whose subscription records undeliverable steps through maintenance.

locals {
  # Deliveries of one step before it is dead-lettered: at least two more than the attempts
  # (Config::max_deliveries in shared/src/config.rs), so a transient failure is retried by
  # redelivery until the step's attempts run out.
  max_deliveries = max(var.max_attempts + 2, 5)
}

resource "google_pubsub_topic" "steps" {
  #checkov:skip=CKV_GCP_83: step messages carry only a job id and a kind name; Google-managed encryption is enough
  name                       = "steps"
  message_retention_duration = "86400s"

  depends_on = [google_project_service.api]
}

resource "google_pubsub_topic" "steps_dead" {
  #checkov:skip=CKV_GCP_83: dead-lettered step messages carry only a job id and a kind name; Google-managed encryption is enough
  name = "steps-dead"

  depends_on = [google_project_service.api]
}

# One subscription per kind, pushing that kind's steps to its own function. The filter means
# each function receives only its kind; the code also acknowledges a step of another kind
# (as the emulator, which does not filter, delivers them).
resource "google_pubsub_subscription" "steps" {
  for_each = local.kind_functions

  name   = "${each.key}-steps"
  topic  = google_pubsub_topic.steps.id
  filter = "attributes.kind = \"${each.key}\""

  # The longest Pub/Sub allows: a step's lease outlives its model deadline, so a redelivery
  # during a long step finds it held and is acknowledged.
  ack_deadline_seconds       = 600
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.function[each.key].uri}/internal/steps"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.service_url[each.key]
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.steps_dead.id
    max_delivery_attempts = local.max_deliveries
  }

  expiration_policy {
    ttl = ""
  }

  depends_on = [google_pubsub_topic_iam_member.pubsub_dead_letters]
}

# Dead-lettered steps go to maintenance, which records them in Firestore (dead_letters) for
# operators to list and retry.
resource "google_pubsub_subscription" "steps_dead" {
  name                       = "steps-dead"
  topic                      = google_pubsub_topic.steps_dead.id
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${google_cloud_run_v2_service.function["maintenance"].uri}/internal/dead-letters"
    oidc_token {
      service_account_email = google_service_account.invoker.email
      audience              = local.service_url["maintenance"]
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}
