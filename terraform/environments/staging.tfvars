# Example variables of the staging environment: replace the project, bucket and channel ids.
# Used as `terraform plan -var-file=environments/staging.tfvars -var image_tag=<commit>`.

project_id         = "factory-staging-000000"
environment        = "staging"
region             = "europe-west1"
firestore_location = "eur3"
bucket_name        = "factory-staging-000000-objects"

retention_days = 7

# A model engine with an API key from Secret Manager (add the secret's value before applying
# the services, see docs/operations.md) and the Sentry DSN.
model         = "gemini:gemini-2.5-flash"
model_prices  = "gemini-2.5-flash=0.30/2.50"
secrets       = ["GEMINI_API_KEY", "SENTRY_DSN"]
max_instances = { kind = 5, api = 5, internal = 2 }

# Staging can be torn down and rebuilt.
deletion_protection = false

notification_channels = [
  "projects/factory-staging-000000/notificationChannels/0000000000000000000",
]
alert_daily_cost_usd = 10
