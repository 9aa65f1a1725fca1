# Terraform and provider versions, the provider's defaults, and where the state lives.

terraform {
  required_version = "~> 1.9"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 8.0"
    }
  }

  # Remote state in a Cloud Storage bucket, one prefix per environment. The bucket and prefix
  # come from environments/<env>.gcs.tfbackend at `terraform init -backend-config=...`; see
  # terraform/README.md.
  backend "gcs" {}
}

provider "google" {
  project = var.project_id
  region  = var.region

  default_labels = {
    app         = "ai-content-factory"
    environment = var.environment
    managed-by  = "terraform"
  }
}

data "google_project" "this" {
  project_id = var.project_id
}
