# Firestore (native mode): the database, the composite indexes the store's queries need
# (shared/src/store/firestore.rs; the same list as docs/firestore.indexes.json), the TTL
# policies on expire_at, and the index exemption of the job body.

resource "google_firestore_database" "main" {
  name                              = var.firestore_database
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = var.deletion_protection ? "DELETE_PROTECTION_ENABLED" : "DELETE_PROTECTION_DISABLED"
  deletion_policy                   = "ABANDON"

  depends_on = [google_project_service.api]
}

locals {
  # Composite indexes, by the query that needs them.
  firestore_indexes = {
    # list_jobs: a tenant's jobs, newest first.
    jobs_by_tenant = {
      collection = "jobs"
      fields     = [{ path = "tenant", order = "ASCENDING" }, { path = "id", order = "DESCENDING" }]
    }
    # list_jobs: a tenant's jobs with one status, newest first.
    jobs_by_tenant_status = {
      collection = "jobs"
      fields     = [{ path = "tenant", order = "ASCENDING" }, { path = "status", order = "ASCENDING" }, { path = "id", order = "DESCENDING" }]
    }
    # list_jobs: every job with one status (operators), newest first.
    jobs_by_status = {
      collection = "jobs"
      fields     = [{ path = "status", order = "ASCENDING" }, { path = "id", order = "DESCENDING" }]
    }
    # unfinished_jobs: the maintenance sweep's work list.
    jobs_unfinished = {
      collection = "jobs"
      fields     = [{ path = "finished", order = "ASCENDING" }, { path = "id", order = "ASCENDING" }]
    }
    # ended_before: ended jobs past the retention, oldest first.
    jobs_ended_before = {
      collection = "jobs"
      fields     = [{ path = "finished", order = "ASCENDING" }, { path = "updated_at", order = "ASCENDING" }]
    }
  }

  # Collections whose documents carry expire_at (jobs once ended, idempotency records, daily
  # usage counters, cache entries): Firestore deletes them after that time.
  firestore_ttl_collections = toset(["jobs", "idempotency", "usage", "cache"])
}

resource "google_firestore_index" "composite" {
  for_each = local.firestore_indexes

  database    = google_firestore_database.main.name
  collection  = each.value.collection
  query_scope = "COLLECTION"

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.path
      order      = fields.value.order
    }
  }
}

resource "google_firestore_field" "expire_at" {
  for_each = local.firestore_ttl_collections

  database   = google_firestore_database.main.name
  collection = each.value
  field      = "expire_at"

  ttl_config {}

  # Not queried: no single-field indexes for it.
  index_config {}
}

# jobs.body is the whole job as a JSON string, never queried: indexing it would only slow
# writes (and large values cannot be indexed).
resource "google_firestore_field" "job_body" {
  database   = google_firestore_database.main.name
  collection = "jobs"
  field      = "body"

  index_config {}
}
