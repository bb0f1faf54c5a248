//! argon2id password hashing, off the async runtime and behind a semaphore.

use std::sync::Arc;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordVerifier, SaltString},
    Argon2, PasswordHasher as _,
};
use tokio::sync::Semaphore;

use crate::error::{AppError, AppResult};

/// Hashes and verifies passwords with argon2id at OWASP's minimum parameters.
#[derive(Clone)]
pub struct PasswordHasher {
    // Each hash takes ~19 MiB and tens of milliseconds: cap how many run at once.
    permits: Arc<Semaphore>,
    /// A real hash verified against when the user does not exist, so an unknown
    /// user takes about as long as a wrong password.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    /// A hasher allowing `concurrency` hashes at once.
    pub fn new(concurrency: usize) -> AppResult<Self> {
        let dummy = hash_blocking("imgql-dummy-password-for-timing")?;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            dummy_hash: dummy.into(),
        })
    }

    /// The PHC string of `password`.
    pub async fn hash(&self, password: &str) -> AppResult<String> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password))
            .await
            .map_err(AppError::internal)?
    }

    /// Whether `password` matches `phc`; with `None`, spends the same effort and says no.
    pub async fn verify(&self, password: &str, phc: Option<&str>) -> AppResult<bool> {
        let _permit = self.permits.acquire().await.map_err(AppError::internal)?;
        let password = password.to_owned();
        let known = phc.is_some();
        let phc = phc
            .map(str::to_owned)
            .unwrap_or_else(|| self.dummy_hash.to_string());
        let matched = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&phc)
                .map(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
                .map_err(AppError::internal)
        })
        .await
        .map_err(AppError::internal)??;
        Ok(known && matched)
    }
}

fn hash_blocking(password: &str) -> AppResult<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(AppError::internal)
}
