# Alert policies. Each carries documentation text naming what it means and where to look;
# docs/operations.md has the runbook entry of each (first three things to check).
# Notification channels are created outside this configuration and passed in
# var.notification_channels.

locals {
  runbook      = "docs/operations.md"
  user_metrics = "logging.googleapis.com/user"
}

resource "google_monitoring_alert_policy" "error_rate" {
  display_name          = "Factory: 5xx error rate (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "ERROR"

  conditions {
    display_name = "5xx share of a service's responses above ${var.alert_error_ratio * 100}% over 5 min"
    condition_prometheus_query_language {
      query               = <<-EOT
        sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision",response_code_class="5xx"}[5m]))
          / sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision"}[5m]))
          > ${var.alert_error_ratio}
      EOT
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: 5xx error rate on $${resource.label.service_name}"
    content   = <<-EOT
      More than ${var.alert_error_ratio * 100}% of one function's responses were 5xx for 5 minutes.
      A 5xx is a failure of ours (or an unavailable dependency: 503 asks Pub/Sub to redeliver).
      Runbook: ${local.runbook}, section "Alert: 5xx error rate". Check the function's
      "request failed" log lines (severity ERROR), then /readyz of the service, then recent deploys.
    EOT
  }
}

resource "google_monitoring_alert_policy" "step_failures" {
  display_name          = "Factory: step failure rate (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "failed share of a kind's steps above ${var.alert_step_failure_ratio * 100}% over 15 min"
    condition_prometheus_query_language {
      query               = <<-EOT
        sum by (kind) (rate(logging_googleapis_com:user_factory_steps_ended{succeeded="false"}[15m]))
          / sum by (kind) (rate(logging_googleapis_com:user_factory_steps_ended[15m]))
          > ${var.alert_step_failure_ratio}
      EOT
      duration            = "0s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: steps of one kind are failing"
    content   = <<-EOT
      More than ${var.alert_step_failure_ratio * 100}% of one kind's steps failed over 15 minutes.
      Each failed step is recorded on its job with a typed error code.
      Runbook: ${local.runbook}, section "Alert: step failure rate".
    EOT
  }

  depends_on = [google_logging_metric.counter]
}

resource "google_monitoring_alert_policy" "dead_letter" {
  display_name          = "Factory: a step was dead-lettered (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "ERROR"

  conditions {
    display_name = "any dead letter"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metrics}/factory_dead_letters\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.kind"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: dead letter for kind $${metric.label.kind}"
    content   = <<-EOT
      A step was delivered the maximum number of times without being settled and went to the
      steps-dead topic; maintenance recorded it in Firestore (dead_letters). Its job waits.
      Runbook: ${local.runbook}, section "Alert: dead letter". List them with
      `factory jobs dead-letters` (FACTORY_STORE=firestore:${var.project_id}) and retry with `--retry ID`.
    EOT
  }

  depends_on = [google_logging_metric.counter]
}

resource "google_monitoring_alert_policy" "steps_out_of_time" {
  display_name          = "Factory: steps running past their deadline (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "a step's lease expired on its last attempt"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metrics}/factory_steps_out_of_time\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.kind"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: steps of $${metric.label.kind} ran out of time"
    content   = <<-EOT
      A step held its lease past the deadline on its last attempt (its instance died, hung, or
      the model was slower than FACTORY_MODEL_DEADLINE_SECS allows); the step failed and its job
      ended partial or failed. Runbook: ${local.runbook}, section "Alert: steps running past their deadline".
    EOT
  }

  depends_on = [google_logging_metric.counter]
}

resource "google_monitoring_alert_policy" "maintenance_stopped" {
  display_name          = "Factory: maintenance sweeps stopped (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "ERROR"

  conditions {
    display_name = "no completed maintenance sweep for 10 min"
    condition_absent {
      filter   = "metric.type=\"${local.user_metrics}/factory_maintenance_sweeps\" AND resource.type=\"cloud_run_revision\""
      duration = "600s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: no maintenance sweep for 10 minutes"
    content   = <<-EOT
      Cloud Scheduler calls maintenance every minute; no sweep has completed for 10 minutes, so
      stale steps are not dispatched again and lost storage events are not made good.
      Runbook: ${local.runbook}, section "Alert: maintenance sweeps stopped".
    EOT
  }

  depends_on = [google_logging_metric.counter]
}

resource "google_monitoring_alert_policy" "job_status_latency" {
  display_name          = "Factory: job-status p95 latency (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "job-status p95 above ${var.alert_job_status_p95_ms} ms over 5 min"
    condition_prometheus_query_language {
      query               = <<-EOT
        histogram_quantile(0.95,
          sum by (le) (rate(run_googleapis_com:request_latencies_bucket{monitored_resource="cloud_run_revision",service_name="job-status"}[5m])))
          > ${var.alert_job_status_p95_ms}
      EOT
      duration            = "300s"
      evaluation_interval = "60s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: job-status is slow"
    content   = <<-EOT
      The 95th percentile of job-status response times was above ${var.alert_job_status_p95_ms} ms for 5 minutes.
      Runbook: ${local.runbook}, section "Alert: job-status p95 latency".
    EOT
  }
}

resource "google_monitoring_alert_policy" "model_rate_limits" {
  display_name          = "Factory: model rate-limit surge (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "more than ${var.alert_rate_limited_per_5m} model calls answered 429 in 5 min"
    condition_threshold {
      filter          = "metric.type=\"${local.user_metrics}/factory_model_rate_limited\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.alert_rate_limited_per_5m
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.model"]
      }
      trigger {
        count = 1
      }
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: model $${metric.label.model} is rate limiting us"
    content   = <<-EOT
      The model provider answered 429 more than ${var.alert_rate_limited_per_5m} times in 5 minutes.
      Calls are retried with backoff within FACTORY_MODEL_DEADLINE_SECS; sustained 429s end in
      failed steps. Runbook: ${local.runbook}, section "Alert: model rate-limit surge".
    EOT
  }

  depends_on = [google_logging_metric.counter]
}

resource "google_monitoring_alert_policy" "daily_cost" {
  display_name          = "Factory: daily model cost (${var.environment})"
  combiner              = "OR"
  notification_channels = var.notification_channels
  severity              = "WARNING"

  conditions {
    display_name = "model spend over the last 24 h above ${var.alert_daily_cost_usd} USD"
    condition_prometheus_query_language {
      query               = <<-EOT
        sum(increase(logging_googleapis_com:user_factory_model_cost_usd_sum[1d])) > ${var.alert_daily_cost_usd}
      EOT
      duration            = "0s"
      evaluation_interval = "300s"
    }
  }

  documentation {
    mime_type = "text/markdown"
    subject   = "Factory ${var.environment}: model spend above ${var.alert_daily_cost_usd} USD in 24 h"
    content   = <<-EOT
      The cost of generated artifacts over the last 24 hours (from FACTORY_MODEL_PRICES) passed
      ${var.alert_daily_cost_usd} USD. Runbook: ${local.runbook}, section "Alert: daily model cost".
    EOT
  }

  depends_on = [google_logging_metric.distribution]
}
