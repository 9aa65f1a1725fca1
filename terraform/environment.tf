# The environment variables of the Cloud Run services: exactly the settings that
# shared/src/config.rs and shared/src/telemetry.rs read (.env.example documents each one).
# PORT is set by Cloud Run. scripts/infra-check fails if a name here is not read by the code,
# or if a setting production needs is missing.

locals {
  # Every function.
  env_every_service = {
    FACTORY_STORE               = var.firestore_database == "(default)" ? "firestore:${var.project_id}" : "firestore:${var.project_id}/${var.firestore_database}"
    FACTORY_OBJECTS             = "gs://${google_storage_bucket.objects.name}"
    FACTORY_DISPATCH            = "pubsub:${var.project_id}/${google_pubsub_topic.steps.name}"
    FACTORY_INTERNAL_AUTH       = "oidc"
    FACTORY_OIDC_ALLOWED_EMAILS = google_service_account.invoker.email
    GOOGLE_CLOUD_PROJECT        = var.project_id
    FACTORY_LOG_FORMAT          = "json"
    FACTORY_RETENTION_DAYS      = tostring(var.retention_days)
    FACTORY_MAX_ATTEMPTS        = tostring(var.max_attempts)
    FACTORY_LEASE_SECS          = tostring(var.lease_secs)
  }

  # Functions that build a model engine (settings.model): the same engine everywhere a job is
  # planned or a step is run, so cache keys and estimates agree.
  env_model = merge(
    {
      FACTORY_MODEL               = var.model
      FACTORY_VERTEX_LOCATION     = var.vertex_location
      FACTORY_MODEL_DEADLINE_SECS = tostring(var.model_deadline_secs)
      FACTORY_MODEL_CONCURRENCY   = tostring(var.model_concurrency)
    },
    var.model_prices == "" ? {} : { FACTORY_MODEL_PRICES = var.model_prices },
    { for kind, spec in var.model_overrides : "FACTORY_MODEL_${upper(replace(kind, "-", "_"))}" => spec },
  )

  # Functions that plan jobs (their estimates price the speech) or make podcast audio
  # (post-process and maintenance, built from the Dockerfile's runtime-audio stage with ffmpeg).
  env_speech = merge(
    { FACTORY_SPEECH = var.speech },
    var.speech_voices == "" ? {} : { FACTORY_SPEECH_VOICES = var.speech_voices },
  )

  # Public functions: browsers may call the API from these origins.
  env_public = length(var.cors_origins) == 0 ? {} : { FACTORY_CORS_ORIGINS = join(",", var.cors_origins) }

  # Per function: its own URL as the audience of the tokens it accepts, and its limits.
  env_per_function = {
    for name, s in local.settings : name => {
      FACTORY_OIDC_AUDIENCE        = local.service_url[name]
      FACTORY_REQUEST_TIMEOUT_SECS = tostring(s.request_timeout_secs)
      FACTORY_CONCURRENCY          = tostring(s.concurrency)
    }
  }

  service_env = {
    for name, s in local.settings : name => merge(
      local.env_every_service,
      s.model ? local.env_model : {},
      s.model || s.type == "internal" ? local.env_speech : {},
      s.public ? local.env_public : {},
      local.env_per_function[name],
    )
  }
}
