# Who may do what. Every grant is the narrowest role on the narrowest resource that lets the
# code do its work; the comment on each says which code needs it.

# --- Every function ---------------------------------------------------------------------

# Firestore: jobs, cache, api_keys, usage, idempotency and dead_letters are read and written
# by every function (shared/src/store/firestore.rs). Datastore roles exist only at project level.
resource "google_project_iam_member" "firestore_user" {
  for_each = local.functions

  project = var.project_id
  role    = "roles/datastore.user"
  member  = google_service_account.function[each.key].member
}

# Cloud Storage: /readyz reads the bucket's metadata (GetBucket, storage.buckets.get), which
# no object role grants.
resource "google_storage_bucket_iam_member" "bucket_reader" {
  for_each = local.functions

  bucket = google_storage_bucket.objects.name
  role   = "roles/storage.legacyBucketReader"
  member = google_service_account.function[each.key].member
}

# Cloud Storage: every function reads sources, artifacts and cached results.
resource "google_storage_bucket_iam_member" "object_viewer" {
  for_each = local.functions

  bucket = google_storage_bucket.objects.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.function[each.key].member
}

# Cloud Storage: objects are written create-only (ifGenerationMatch=0): sources (public
# functions), artifacts (kinds), renderings and manifests (post-process, maintenance).
# Only maintenance deletes, so only it gets objectUser below; job-status writes nothing.
resource "google_storage_bucket_iam_member" "object_creator" {
  for_each = { for name, s in local.settings : name => s if name != "job-status" && name != "maintenance" }

  bucket = google_storage_bucket.objects.name
  role   = "roles/storage.objectCreator"
  member = google_service_account.function[each.key].member
}

# Cloud Storage: the maintenance sweep lists a job's objects and deletes objects past the
# retention (shared/src/pipeline/maintenance.rs), besides writing renderings it finds missing.
resource "google_storage_bucket_iam_member" "maintenance_objects" {
  bucket = google_storage_bucket.objects.name
  role   = "roles/storage.objectUser"
  member = google_service_account.function["maintenance"].member
}

# Pub/Sub: functions that dispatch steps publish them to the steps topic
# (shared/src/dispatch/pubsub.rs, topics.publish only).
resource "google_pubsub_topic_iam_member" "steps_publisher" {
  for_each = { for name, s in local.settings : name => s if s.publishes }

  topic  = google_pubsub_topic.steps.id
  role   = "roles/pubsub.publisher"
  member = google_service_account.function[each.key].member
}

# Secret Manager: model keys go to the functions that build a model engine, the Sentry DSN to
# every function.
resource "google_secret_manager_secret_iam_member" "accessor" {
  for_each = local.secret_grants

  secret_id = google_secret_manager_secret.env[each.value.secret].id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.function[each.value.function].member
}

# Vertex AI: kind functions call Gemini on Vertex AI when a vertex: model is configured.
resource "google_project_iam_member" "vertex_user" {
  for_each = local.uses_vertex ? local.kind_functions : {}

  project = var.project_id
  role    = "roles/aiplatform.user"
  member  = google_service_account.function[each.key].member
}

# IAM signBlob: job-status signs V4 download URLs with its own service account
# (google-cloud-auth's Signer calls iamcredentials signBlob on the runtime account).
resource "google_service_account_iam_member" "job_status_signs_urls" {
  service_account_id = google_service_account.function["job-status"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = google_service_account.function["job-status"].member
}

# --- Invoking the services ---------------------------------------------------------------

# Public functions: clients call them with an API key that the application checks (hashed
# keys, per-key rate limits, tenant isolation); Cloud Run IAM cannot check API keys.
resource "google_cloud_run_v2_service_iam_member" "public" {
  # Publicly invokable on purpose: the public API is authenticated by API keys inside the application; its /internal/* routes require a Google-signed OIDC token
  for_each = local.public_functions

  name     = google_cloud_run_v2_service.function[each.key].name
  location = var.region
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# Internal functions: only the invoker account (Pub/Sub push, the storage-event
# subscription, Cloud Scheduler) may call them, on top of their internal-only ingress.
resource "google_cloud_run_v2_service_iam_member" "invoker" {
  for_each = local.internal_functions

  name     = google_cloud_run_v2_service.function[each.key].name
  location = var.region
  role     = "roles/run.invoker"
  member   = google_service_account.invoker.member
}

# --- Google-managed service agents ----------------------------------------------------------

locals {
  pubsub_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

# Pub/Sub mints the push subscriptions' OIDC tokens as the invoker account.
resource "google_service_account_iam_member" "pubsub_mints_invoker_tokens" {
  service_account_id = google_service_account.invoker.name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_agent
}

# Dead-lettering: Pub/Sub forwards undeliverable steps to steps-dead...
resource "google_pubsub_topic_iam_member" "pubsub_dead_letters" {
  topic  = google_pubsub_topic.steps_dead.id
  role   = "roles/pubsub.publisher"
  member = local.pubsub_agent
}

# ...and acknowledges them on the subscription they came from.
resource "google_pubsub_subscription_iam_member" "pubsub_acks_dead_letters" {
  for_each = local.kind_functions

  subscription = google_pubsub_subscription.steps[each.key].id
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_agent
}

# Cloud Storage publishes the bucket's OBJECT_FINALIZE notifications to gcs-events.
resource "google_pubsub_topic_iam_member" "storage_notifications" {
  topic  = google_pubsub_topic.gcs_events.id
  role   = "roles/pubsub.publisher"
  member = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}

data "google_storage_project_service_account" "gcs" {}
