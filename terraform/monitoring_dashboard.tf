# One dashboard: traffic and errors per function, steps and jobs, model usage and cost, and
# the health of the background machinery (dead letters, maintenance).

locals {
  user_metric_filter = "resource.type=\"cloud_run_revision\" AND metric.type=\"logging.googleapis.com/user/%s\""

  # [title, filter, aligner, group-by label or "", plot type]
  dashboard_charts = [
    ["Requests per function", "metric.type=\"run.googleapis.com/request_count\" AND resource.type=\"cloud_run_revision\"", "ALIGN_RATE", "resource.label.service_name", "LINE"],
    ["5xx responses per function", format(local.user_metric_filter, "factory_http_5xx"), "ALIGN_SUM", "resource.label.service_name", "STACKED_BAR"],
    ["Request latency p95 per function (ms)", "metric.type=\"run.googleapis.com/request_latencies\" AND resource.type=\"cloud_run_revision\"", "ALIGN_PERCENTILE_95", "resource.label.service_name", "LINE"],
    ["Steps ended by outcome", format(local.user_metric_filter, "factory_steps_ended"), "ALIGN_SUM", "metric.label.succeeded", "STACKED_BAR"],
    ["Step duration p95 by kind (ms)", format(local.user_metric_filter, "factory_step_duration_ms"), "ALIGN_PERCENTILE_95", "metric.label.kind", "LINE"],
    ["Jobs ended by status", format(local.user_metric_filter, "factory_jobs_ended"), "ALIGN_SUM", "metric.label.status", "STACKED_BAR"],
    ["Dead letters (new)", format(local.user_metric_filter, "factory_dead_letters"), "ALIGN_SUM", "metric.label.kind", "STACKED_BAR"],
    ["Dead letters waiting (per sweep)", format(local.user_metric_filter, "factory_dead_letters_waiting"), "ALIGN_PERCENTILE_99", "", "LINE"],
    ["Steps out of time", format(local.user_metric_filter, "factory_steps_out_of_time"), "ALIGN_SUM", "metric.label.kind", "STACKED_BAR"],
    ["Model 429s by model", format(local.user_metric_filter, "factory_model_rate_limited"), "ALIGN_SUM", "metric.label.model", "STACKED_BAR"],
    ["Model output tokens p95 by kind", format(local.user_metric_filter, "factory_model_output_tokens"), "ALIGN_PERCENTILE_95", "metric.label.kind", "LINE"],
    ["Model cost per artifact p95 (USD)", format(local.user_metric_filter, "factory_model_cost_usd"), "ALIGN_PERCENTILE_95", "metric.label.model", "LINE"],
    ["Maintenance sweeps", format(local.user_metric_filter, "factory_maintenance_sweeps"), "ALIGN_SUM", "", "LINE"],
    ["Instances per function", "metric.type=\"run.googleapis.com/container/instance_count\" AND resource.type=\"cloud_run_revision\"", "ALIGN_MAX", "resource.label.service_name", "STACKED_AREA"],
  ]

  dashboard = {
    displayName = "AI Content Factory (${var.environment})"
    mosaicLayout = {
      columns = 12
      tiles = [
        for i, chart in local.dashboard_charts : {
          xPos   = (i % 2) * 6
          yPos   = floor(i / 2) * 4
          width  = 6
          height = 4
          widget = {
            title = chart[0]
            xyChart = {
              dataSets = [{
                plotType = chart[4]
                timeSeriesQuery = {
                  timeSeriesFilter = {
                    filter = chart[1]
                    aggregation = merge(
                      { alignmentPeriod = "60s", perSeriesAligner = chart[2] },
                      chart[3] == "" ? {} : { crossSeriesReducer = chart[2] == "ALIGN_SUM" || chart[2] == "ALIGN_RATE" ? "REDUCE_SUM" : "REDUCE_MAX", groupByFields = [chart[3]] },
                    )
                  }
                }
              }]
            }
          }
        }
      ]
    }
  }
}

resource "google_monitoring_dashboard" "factory" {
  dashboard_json = jsonencode(local.dashboard)

  depends_on = [google_logging_metric.counter, google_logging_metric.distribution]
}
