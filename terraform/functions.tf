# The deployed functions: one entry per crate under functions/ (all but `local`, the
# all-in-one laptop binary). Service accounts, Cloud Run services, IAM and the step
# subscriptions are all derived from this map, so adding a content kind is one entry here
# (scripts/infra-check fails while the map and functions/ disagree).
#
# An entry may override any setting of its type (see function_types below).
#
# type:
#   kind     - one content kind: POST /v1/<kind> for clients, POST /internal/steps pushed by
#              its own Pub/Sub subscription (filtered on the message's `kind` attribute)
#   api      - public API only (bundle, job-status)
#   internal - platform callers only: post-process (storage events), maintenance (scheduler,
#              dead letters)

locals {
  functions = {
    "outline"           = { type = "kind" }
    "podcast-script"    = { type = "kind" }
    "study-guide"       = { type = "kind" }
    "one-pager"         = { type = "kind" }
    "detailed-reading"  = { type = "kind" }
    "faq"               = { type = "kind" }
    "flashcards"        = { type = "kind" }
    "reading-questions" = { type = "kind" }
    "quiz"              = { type = "kind" }
    "bundle"            = { type = "api" }
    "job-status"        = { type = "api", model = false, publishes = false }
    "post-process"      = { type = "internal", publishes = false }
    "maintenance"       = { type = "internal" }
  }

  # What each type of function is allowed and how it runs; an entry above may override any of it.
  function_types = {
    kind = {
      # Clients call POST /v1/<kind> with an API key the application checks; /internal/steps
      # checks the OIDC token itself (shared/src/http/oidc.rs).
      public  = true
      ingress = "INGRESS_TRAFFIC_ALL"
      # A step runs inside its push request: Pub/Sub waits up to the 600 s ack deadline.
      timeout_seconds = 600
      # FACTORY_REQUEST_TIMEOUT_SECS applies to every route, /internal/steps included, so it
      # must outlive the model deadline (public requests still wait at most 60 s).
      request_timeout_secs = 590
      # Concurrent requests per instance, and FACTORY_CONCURRENCY (steps at once).
      concurrency = 8
      cpu         = "1"
      memory      = "1Gi"
      # Generates content or plans jobs: gets the model settings and keys.
      model = true
      # Publishes the next steps of a job to the steps topic.
      publishes = true
    }
    api = {
      public               = true
      ingress              = "INGRESS_TRAFFIC_ALL"
      timeout_seconds      = 90
      request_timeout_secs = 75
      concurrency          = 40
      cpu                  = "1"
      memory               = "512Mi"
      # bundle plans jobs with the engine's identity and cost estimates, then publishes them.
      model     = true
      publishes = true
    }
    internal = {
      public               = false
      ingress              = "INGRESS_TRAFFIC_INTERNAL_ONLY"
      timeout_seconds      = 300
      request_timeout_secs = 280
      concurrency          = 8
      cpu                  = "1"
      memory               = "512Mi"
      model                = false
      # maintenance dispatches again what is stale and retries dead letters.
      publishes = true
    }
  }

  # Each function's settings: its type's, with the entry's own overrides.
  settings = { for name, f in local.functions : name => merge(local.function_types[f.type], f) }

  kind_functions     = { for name, f in local.functions : name => f if f.type == "kind" }
  public_functions   = { for name, s in local.settings : name => s if s.public }
  internal_functions = { for name, s in local.settings : name => s if !s.public }

  # Each service's URL in the deterministic form Cloud Run assigns
  # (https://SERVICE-PROJECT_NUMBER.REGION.run.app). It is known before the service exists, so
  # it can be both the service's own FACTORY_OIDC_AUDIENCE and the audience of the tokens that
  # Pub/Sub and Cloud Scheduler send to it.
  service_url = {
    for name, f in local.functions :
    name => "https://${name}-${data.google_project.this.number}.${var.region}.run.app"
  }

  image_base = "${var.region}-docker.pkg.dev/${var.project_id}/${var.artifact_repository}"
}
