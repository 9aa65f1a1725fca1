//! Who may call `/internal/*` (`FACTORY_INTERNAL_AUTH`): nobody (the default), anyone who
//! can reach the port (the emulator harness, a private network), or callers with a
//! Google-signed OIDC token: Pub/Sub push, Eventarc and Cloud Scheduler, each configured to
//! sign as a service account in the allow-list, for this service's URL as audience.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::config::InternalAuth;
use crate::http::AppState;
use crate::http::oidc::{OidcError, OidcSettings, OidcVerifier};
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
                "this deployment accepts no internal calls".into(),
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
                    Err(e) if e.is_unavailable() => {
                        tracing::warn!(error = %e, "identity token keys unavailable");
                        Err(ApiError::Unavailable {
                            detail: "the keys to check identity tokens could not be fetched".into(),
                            retry_after: 5,
                        })
                    }
                    Err(OidcError::Missing) => Err(ApiError::TokenRequired),
                    Err(e) => Err(ApiError::InvalidToken(e.to_string())),
                }
            }
        }
    }
}

/// A caller [`InternalGuard`] let through. As a handler's first argument it runs before the
/// body is read, so a refused caller cannot make the function buffer a body.
#[derive(Debug, Clone, Copy)]
pub struct InternalCaller;

impl FromRequestParts<AppState> for InternalCaller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        state.internal.check(&parts.headers).await?;
        Ok(Self)
    }
}
