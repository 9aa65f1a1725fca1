# Values the deploy workflow and operators read after an apply.

output "service_urls" {
  description = "URL of each function's Cloud Run service."
  value       = { for name, svc in google_cloud_run_v2_service.function : name => svc.uri }
}

output "public_functions" {
  description = "Functions clients may call (the smoke test checks /healthz of each)."
  value       = sort(keys(local.public_functions))
}

output "image_base" {
  description = "Artifact Registry path the images are pushed to: <image_base>/<function>:<tag>."
  value       = local.image_base
}

output "bucket" {
  description = "The objects bucket."
  value       = google_storage_bucket.objects.name
}

output "invoker_service_account" {
  description = "The account whose OIDC tokens /internal/* routes accept."
  value       = google_service_account.invoker.email
}

output "firestore_store" {
  description = "FACTORY_STORE for operator commands (factory jobs dead-letters, factory keys create)."
  value       = local.env_every_service.FACTORY_STORE
}
