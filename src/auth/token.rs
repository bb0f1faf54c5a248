//! JWT issue and verification: HS256 pinned, `iss`/`aud` checked, `typ` checked.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

/// The claims imgql puts in a token.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    /// The userID.
    pub sub: String,
    /// Issued at (Unix seconds).
    pub iat: u64,
    /// Expires at (Unix seconds).
    pub exp: u64,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The session this token opened (a UUID), checked against the revoked
    /// sessions. Tokens issued before sessions existed have none and are
    /// refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
}

/// Signing and verification keys with the validation rules.
#[derive(Clone)]
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    ttl_secs: u64,
}

impl TokenKeys {
    /// Keys from the raw secret bytes.
    pub fn new(secret: &[u8], issuer: &str, ttl_secs: u64) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[issuer]);
        validation.set_audience(&[issuer]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            issuer: issuer.to_owned(),
            ttl_secs,
        }
    }

    /// A fresh token for `user_id`, opening a new session.
    pub fn issue(&self, user_id: &str) -> AppResult<String> {
        let now = unix_now();
        let claims = Claims {
            sub: user_id.to_owned(),
            iat: now,
            exp: now + self.ttl_secs,
            iss: self.issuer.clone(),
            aud: self.issuer.clone(),
            sid: Some(uuid::Uuid::now_v7().to_string()),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)
    }

    /// The claims of a valid token, or `UNAUTHENTICATED`.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        let invalid = || AppError::Unauthenticated("invalid or expired token".into());
        // jsonwebtoken does not check `typ`: accept only a JWT (or none).
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        if let Some(typ) = header.typ.as_deref() {
            if !typ.eq_ignore_ascii_case("JWT") {
                return Err(invalid());
            }
        }
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|_| invalid())
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}
