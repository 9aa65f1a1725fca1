# Log-based metrics, from the JSON lines the functions write to stderr (tracing-stackdriver:
# an event's fields are camel-cased at the top of jsonPayload, the fields of the span it ran
# in are under jsonPayload.span with their names as written). scripts/infra-check fails if a
# message or field used here is not one the code logs.

locals {
  app_log = "resource.type=\"cloud_run_revision\" AND logName=\"projects/${var.project_id}/logs/run.googleapis.com%2Fstderr\""

  # Counters: one per matching log line.
  counter_metrics = {
    factory_steps_ended = {
      description = "Steps that ended, by kind and outcome (\"step ended\", shared/src/pipeline/step.rs)."
      filter      = "jsonPayload.message=\"step ended\""
      labels = {
        kind      = "EXTRACT(jsonPayload.span.kind)"
        succeeded = "EXTRACT(jsonPayload.succeeded)"
      }
    }
    factory_steps_out_of_time = {
      description = "Steps whose lease expired on their last attempt: the worker died or hung past the deadline, and the step failed."
      filter      = "jsonPayload.message=\"step failed: lease expired on its last attempt\""
      labels = {
        kind = "EXTRACT(jsonPayload.span.kind)"
      }
    }
    factory_dead_letters = {
      description = "Steps dead-lettered after their deliveries ran out (\"step dead-lettered\", shared/src/pipeline/dead_letters.rs)."
      filter      = "jsonPayload.message=\"step dead-lettered\""
      labels = {
        kind = "EXTRACT(jsonPayload.kind)"
      }
    }
    factory_http_5xx = {
      description = "Requests answered with a 5xx status, by function (\"request\", shared/src/http/layers.rs)."
      filter      = "jsonPayload.message=\"request\" AND jsonPayload.status>=500"
      labels      = {}
    }
    factory_model_rate_limited = {
      description = "Model calls answered with 429 (rate limited), by model (shared/src/model/resilient.rs)."
      filter      = "jsonPayload.message=~\"^model call failed\" AND jsonPayload.outcome=\"rate_limited\""
      labels = {
        model = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_jobs_ended = {
      description = "Jobs that ended, by final status (\"job ended\", shared/src/pipeline/finish.rs)."
      filter      = "jsonPayload.message=\"job ended\""
      labels = {
        status = "EXTRACT(jsonPayload.status)"
      }
    }
    factory_maintenance_sweeps = {
      description = "Maintenance sweeps that completed (\"maintenance sweep\", shared/src/pipeline/maintenance.rs)."
      filter      = "jsonPayload.message=\"maintenance sweep\""
      labels      = {}
    }
  }

  # Distributions: one value per matching log line.
  distribution_metrics = {
    factory_step_duration_ms = {
      description = "Wall time of a step from claim to recorded result, in milliseconds."
      filter      = "jsonPayload.message=\"step ended\""
      value       = "EXTRACT(jsonPayload.elapsedMs)"
      unit        = "ms"
      scale       = 1
      labels = {
        kind = "EXTRACT(jsonPayload.span.kind)"
      }
    }
    factory_model_input_tokens = {
      description = "Input tokens a model spent on one generated artifact, repairs included (\"generated\", shared/src/model/engine.rs)."
      filter      = "jsonPayload.message=\"generated\""
      value       = "EXTRACT(jsonPayload.inputTokens)"
      unit        = "1"
      scale       = 1
      labels = {
        kind  = "EXTRACT(jsonPayload.kind)"
        model = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_model_output_tokens = {
      description = "Output tokens a model wrote for one generated artifact, repairs included."
      filter      = "jsonPayload.message=\"generated\""
      value       = "EXTRACT(jsonPayload.outputTokens)"
      unit        = "1"
      scale       = 1
      labels = {
        kind  = "EXTRACT(jsonPayload.kind)"
        model = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_model_cost_usd = {
      description = "Model cost of one generated artifact in US dollars (FACTORY_MODEL_PRICES; 0 without a price)."
      filter      = "jsonPayload.message=\"generated\""
      value       = "EXTRACT(jsonPayload.costUsd)"
      unit        = "USD"
      scale       = 0.0001
      labels = {
        kind  = "EXTRACT(jsonPayload.kind)"
        model = "EXTRACT(jsonPayload.model)"
      }
    }
    factory_dead_letters_waiting = {
      description = "Dead letters waiting for an operator, as counted by each maintenance sweep."
      filter      = "jsonPayload.message=\"maintenance sweep\""
      value       = "REGEXP_EXTRACT(jsonPayload.report, \"dead_letters: (\\\\d+)\")"
      unit        = "1"
      scale       = 1
      labels      = {}
    }
  }
}

resource "google_logging_metric" "counter" {
  for_each = local.counter_metrics

  name        = each.key
  description = each.value.description
  filter      = "${local.app_log} AND ${each.value.filter}"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    unit        = "1"

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  label_extractors = each.value.labels
}

resource "google_logging_metric" "distribution" {
  for_each = local.distribution_metrics

  name            = each.key
  description     = each.value.description
  filter          = "${local.app_log} AND ${each.value.filter}"
  value_extractor = each.value.value

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "DISTRIBUTION"
    unit        = each.value.unit

    dynamic "labels" {
      for_each = each.value.labels
      content {
        key        = labels.key
        value_type = "STRING"
      }
    }
  }

  label_extractors = each.value.labels

  bucket_options {
    exponential_buckets {
      num_finite_buckets = 64
      growth_factor      = 2
      scale              = each.value.scale
    }
  }
}
