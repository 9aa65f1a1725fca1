# Example variables of the production environment: replace the project, bucket and channel ids.
# Used as `terraform plan -var-file=environments/production.tfvars -var image_tag=<commit>`.

project_id         = "factory-production-000000"
environment        = "production"
region             = "europe-west1"
firestore_location = "eur3"
bucket_name        = "factory-production-000000-objects"

retention_days = 30

# Gemini on Vertex AI: credentials come from each function's service account, no key.
model           = "vertex:gemini-2.5-flash"
vertex_location = "europe-west1"
model_prices    = "gemini-2.5-flash=0.30/2.50"
secrets         = ["SENTRY_DSN"]
cors_origins    = ["https://app.example.org"]

# One warm job-status and bundle instance keeps the API's first byte fast.
min_instances = { kind = 0, api = 1, internal = 0 }
max_instances = { kind = 50, api = 20, internal = 5 }

deletion_protection = true

notification_channels = [
  "projects/factory-production-000000/notificationChannels/0000000000000000000",
  "projects/factory-production-000000/notificationChannels/1111111111111111111",
]
alert_daily_cost_usd = 100
