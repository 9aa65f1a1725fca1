//! Who may call `/internal/*` (`FACTORY_INTERNAL_AUTH`): nobody (the default), anyone who
//! can reach the port (the emulator harness, a private network), or callers with a
//! Google-signed OIDC token: Pub/Sub push, Eventarc and Cloud Scheduler, each configured to
//! sign as a service account in the allow-list, for this service's URL as audience.

use axum::http::{HeaderMap, header};

use crate::config::InternalAuth;
use crate::http::oidc::{OidcSettings, OidcVerifier};
use crate::http::problem::ApiError;

#[derive(Debug, Clone)]
pub enum InternalGuard {
    Closed,
    Open,
    Oidc(OidcVerifier),
}

impl InternalGuard {
    pub fn from_config(auth: &InternalAuth) -> Self {
        match auth {
            InternalAuth::Closed => Self::Closed,
            InternalAuth::Off => Self::Open,
            InternalAuth::Oidc {
                audiences,
                allowed_emails,
                jwks_url,
            } => {
                let mut settings = OidcSettings::google(audiences.clone(), allowed_emails.clone());
                if let Some(url) = jwks_url {
                    settings.jwks_url.clone_from(url);
                }
                Self::Oidc(OidcVerifier::new(settings, reqwest::Client::new()))
            }
        }
    }

    /// Lets the request through, or says why not.
    pub async fn check(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        match self {
            Self::Open => Ok(()),
            Self::Closed => Err(ApiError::Forbidden(
                "set FACTORY_INTERNAL_AUTH=oidc (or off on a private network) to open them".into(),
            )),
            Self::Oidc(verifier) => {
                let authorization = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok());
                match verifier.verify(authorization).await {
                    Ok(caller) => {
                        tracing::debug!(caller = %caller.email, "internal call authenticated");
                        Ok(())
                    }
                    Err(e) if e.is_unavailable() => Err(ApiError::Unavailable {
                        detail: e.to_string(),
                        retry_after: 5,
                    }),
                    Err(e) => Err(ApiError::InvalidToken(e.to_string())),
                }
            }
        }
    }
}
