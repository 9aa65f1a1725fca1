//! Access tokens for Google APIs called over plain HTTP (Pub/Sub publish, Cloud Storage,
//! IAM signBlob). Against an emulator there are no credentials at all.

use std::fmt;

use google_cloud_auth::credentials::{AccessTokenCredentials, Builder};

/// The OAuth scope every adapter uses; IAM decides what the service account may do.
pub const CLOUD_PLATFORM: &str = "https://www.googleapis.com/auth/cloud-platform";

/// Where bearer tokens come from: Application Default Credentials, or nowhere (emulators).
#[derive(Clone)]
pub struct GoogleAuth {
    credentials: Option<AccessTokenCredentials>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Google credentials: {0}")]
pub struct AuthError(pub String);

impl GoogleAuth {
    /// Application Default Credentials with the cloud-platform scope:
    /// `GOOGLE_APPLICATION_CREDENTIALS`, then gcloud's ADC file, then the metadata server.
    /// Tokens are cached by the auth library and refreshed before they expire.
    pub fn application_default() -> Result<Self, AuthError> {
        let credentials = Builder::default()
            .with_scopes([CLOUD_PLATFORM])
            .build_access_token_credentials()
            .map_err(|e| AuthError(e.to_string()))?;
        Ok(Self {
            credentials: Some(credentials),
        })
    }

    /// No credentials: for emulators, which accept anonymous requests.
    pub fn anonymous() -> Self {
        Self { credentials: None }
    }

    /// The `Authorization` header value to send, if any.
    pub async fn authorization(&self) -> Result<Option<String>, AuthError> {
        match &self.credentials {
            None => Ok(None),
            Some(credentials) => {
                let token = credentials
                    .access_token()
                    .await
                    .map_err(|e| AuthError(e.to_string()))?;
                Ok(Some(format!("Bearer {}", token.token)))
            }
        }
    }
}

impl fmt::Debug for GoogleAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GoogleAuth")
            .field("anonymous", &self.credentials.is_none())
            .finish()
    }
}
