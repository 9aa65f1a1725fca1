# Inputs of one environment. Example values for staging and production are in environments/.

variable "project_id" {
  description = "Google Cloud project that holds the environment."
  type        = string
}

variable "environment" {
  description = "Environment name, used in labels and resource names (staging, production)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment must be lowercase letters, digits and dashes."
  }
}

variable "region" {
  description = "Region of the Cloud Run services, the bucket, Artifact Registry and Cloud Scheduler."
  type        = string
  default     = "europe-west1"
}

variable "firestore_location" {
  description = "Firestore location (a region such as europe-west1, or a multi-region such as eur3)."
  type        = string
  default     = "eur3"
}

variable "firestore_database" {
  description = "Firestore database id. \"(default)\" makes FACTORY_STORE firestore:PROJECT."
  type        = string
  default     = "(default)"
}

variable "bucket_name" {
  description = "Name of the bucket for sources, artifacts and renderings (globally unique)."
  type        = string
}

variable "image_tag" {
  description = "Tag of the function images in Artifact Registry (the deploy workflow passes the commit SHA)."
  type        = string
}

variable "artifact_repository" {
  description = "Artifact Registry repository id holding one image per function."
  type        = string
  default     = "factory"
}

variable "retention_days" {
  description = "FACTORY_RETENTION_DAYS: days an ended job is kept. Drives the Firestore TTL and the bucket lifecycle."
  type        = number
  default     = 30
  validation {
    condition     = var.retention_days >= 1 && var.retention_days <= 3650
    error_message = "retention_days must be between 1 and 3650 (the range the code accepts)."
  }
}

variable "lifecycle_grace_days" {
  description = "Days past the retention before the bucket lifecycle deletes job and cache objects (a backstop behind the maintenance sweep and the Firestore TTL, which may lag)."
  type        = number
  default     = 7
}

variable "max_attempts" {
  description = "FACTORY_MAX_ATTEMPTS: attempts per step. The step subscriptions deliver at least two more times than this."
  type        = number
  default     = 3
}

variable "lease_secs" {
  description = "FACTORY_LEASE_SECS: seconds a claimed step is held (a model engine raises it past the model deadline)."
  type        = number
  default     = 120
}

variable "model" {
  description = "FACTORY_MODEL: extractive, vertex:MODEL, gemini:MODEL or openai:MODEL@BASE_URL."
  type        = string
  default     = "extractive"
}

variable "speech" {
  description = "FACTORY_SPEECH: the engine that voices podcasts: google (Cloud Text-to-Speech) or off. The runtime images hold no espeak-ng."
  type        = string
  default     = "google"
  validation {
    condition     = contains(["google", "off"], var.speech)
    error_message = "speech is google or off."
  }
}

variable "speech_voices" {
  description = "FACTORY_SPEECH_VOICES: Cloud Text-to-Speech voices for speakers 1, 2, ... (comma-separated); empty for the engine's defaults per language."
  type        = string
  default     = ""
}

variable "model_overrides" {
  description = "FACTORY_MODEL_<KIND>: another engine for one kind, keyed by kind (e.g. { faq = \"vertex:gemini-2.5-pro\" })."
  type        = map(string)
  default     = {}
  validation {
    condition     = alltrue([for kind in keys(var.model_overrides) : can(regex("^[a-z][a-z-]*$", kind))])
    error_message = "model_overrides keys are kind names such as faq or podcast-script."
  }
}

variable "vertex_location" {
  description = "FACTORY_VERTEX_LOCATION: Vertex AI region for vertex: models (global allowed)."
  type        = string
  default     = "us-central1"
}

variable "model_prices" {
  description = "FACTORY_MODEL_PRICES: MODEL=IN/OUT dollars per million tokens, comma-separated. Costs show as 0 without it."
  type        = string
  default     = ""
}

variable "model_deadline_secs" {
  description = "FACTORY_MODEL_DEADLINE_SECS: seconds a step may spend on model calls. Must stay below the step request timeout."
  type        = number
  default     = 300
  validation {
    condition     = var.model_deadline_secs >= 10 && var.model_deadline_secs <= 480
    error_message = "model_deadline_secs must be 10-480 so a step finishes inside its 600 s push request."
  }
}

variable "model_concurrency" {
  description = "FACTORY_MODEL_CONCURRENCY: model calls in flight per provider in one instance."
  type        = number
  default     = 8
}

variable "secrets" {
  description = "Secret Manager secrets to create and mount, by the environment variable they fill: any of GEMINI_API_KEY, OPENAI_API_KEY (model functions) and SENTRY_DSN (every function). Add a version to each before the services use it (docs/operations.md)."
  type        = set(string)
  default     = []
  validation {
    condition     = alltrue([for s in var.secrets : contains(["GEMINI_API_KEY", "OPENAI_API_KEY", "SENTRY_DSN"], s)])
    error_message = "secrets may hold GEMINI_API_KEY, OPENAI_API_KEY and SENTRY_DSN only."
  }
}

variable "cors_origins" {
  description = "FACTORY_CORS_ORIGINS: origins allowed to call the public API from a browser."
  type        = list(string)
  default     = []
}

variable "min_instances" {
  description = "Minimum instances per function type (kind, api, internal). One warm job-status instance keeps its p95 low."
  type        = map(number)
  default     = { kind = 0, api = 0, internal = 0 }
}

variable "max_instances" {
  description = "Maximum instances per function type (kind, api, internal)."
  type        = map(number)
  default     = { kind = 20, api = 20, internal = 5 }
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services and the Firestore database from deletion by Terraform."
  type        = bool
  default     = true
}

variable "notification_channels" {
  description = "Ids of existing Cloud Monitoring notification channels (projects/P/notificationChannels/N) that every alert notifies."
  type        = list(string)
  default     = []
}

variable "alert_error_ratio" {
  description = "Share of 5xx responses of one service over 5 minutes that raises the error-rate alert."
  type        = number
  default     = 0.05
}

variable "alert_step_failure_ratio" {
  description = "Share of failed steps of one kind over 15 minutes that raises the step-failure alert."
  type        = number
  default     = 0.2
}

variable "alert_job_status_p95_ms" {
  description = "job-status p95 latency in milliseconds over 5 minutes that raises the latency alert."
  type        = number
  default     = 500
}

variable "alert_rate_limited_per_5m" {
  description = "Model calls answered 429 within 5 minutes that raise the rate-limit alert."
  type        = number
  default     = 20
}

variable "alert_daily_cost_usd" {
  description = "Model spend in US dollars over the last 24 hours that raises the cost alert."
  type        = number
  default     = 50
}
