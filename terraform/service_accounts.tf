# Identities: one service account per function (the identity its Cloud Run service runs as),
# and one invoker account that Pub/Sub push, the storage-event subscription and Cloud Scheduler
# use to sign the OIDC tokens they send to /internal/* routes.

resource "google_service_account" "function" {
  for_each = local.functions

  account_id   = "fn-${each.key}"
  display_name = "Cloud Run function ${each.key}"
  description  = "Runtime identity of the ${each.key} function (${local.settings[each.key].type})."
}

resource "google_service_account" "invoker" {
  account_id   = "factory-invoker"
  display_name = "Internal route caller"
  description  = "Identity of the OIDC tokens Pub/Sub push and Cloud Scheduler send to /internal/* routes (FACTORY_OIDC_ALLOWED_EMAILS)."
}
