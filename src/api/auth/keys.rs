//! Key secrets: how they are made, stored (hashed) and recognised.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use rand::RngCore;
use sea_orm::{ConnectionTrait, DbErr};
use sha2::{Digest, Sha256};

use crate::domain::{FieldError, Role, is_slug};
use crate::store::{self, ApiKey, NewKey};

/// Recognisable in logs and secret scanners; the rest is 256 random bits,
/// so a plain SHA-256 is enough (no password stretching needed).
const SECRET_PREFIX: &str = "koi_";
/// Characters of the secret kept in clear to tell keys apart.
const SHOWN_CHARS: usize = SECRET_PREFIX.len() + 8;
const MAX_NAME: usize = 200;
const MAX_PROJECTS: usize = 1000;

/// Whether `token` is shaped like a KOI key (not whether it is valid).
pub fn is_key(token: &str) -> bool {
    token.starts_with(SECRET_PREFIX)
}

pub fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Validates a new key's name and projects.
pub fn validate(name: &str, projects: &[String]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if name.trim().is_empty() || name.chars().count() > MAX_NAME {
        errors.push(FieldError::new("name", format!("must be 1 to {MAX_NAME} characters, e.g. \"station 12\"")));
    }
    if projects.len() > MAX_PROJECTS {
        errors.push(FieldError::new("projects", format!("at most {MAX_PROJECTS} projects per key")));
    }
    for (i, code) in projects.iter().enumerate() {
        if !is_slug(code) {
            errors.push(FieldError::new(format!("projects[{i}]"), format!("{code:?} is not a project code")));
        }
    }
    errors
}

/// Stores a new key and returns it with its secret, which exists nowhere
/// else: the caller shows it once.
pub async fn create(
    db: &impl ConnectionTrait,
    name: &str,
    role: Role,
    projects: &[String],
) -> Result<(ApiKey, String), DbErr> {
    let mut random = [0u8; 32];
    rand::rng().fill_bytes(&mut random);
    let secret = format!("{SECRET_PREFIX}{}", hex::encode(random));
    let new = NewKey { name, role, prefix: &secret[..SHOWN_CHARS], secret_hash: &hash(&secret), projects };
    Ok((store::insert_key(db, new).await?, secret))
}

/// Verified keys for a few seconds, so most requests cost no query. Keys
/// revoked through this process are dropped at once; elsewhere (another
/// server, the CLI) revocation takes up to `ttl`.
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (ApiKey, Instant)>>,
}

impl KeyCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// The live key with this secret, if any.
    pub async fn verify(&self, db: &impl ConnectionTrait, secret: &str) -> Result<Option<ApiKey>, DbErr> {
        let hashed = hash(secret);
        if let Some((key, at)) = self.lock().get(&hashed)
            && at.elapsed() < self.ttl
        {
            return Ok(Some(key.clone()));
        }
        let found = store::find_active_key(db, &hashed).await?;
        let mut entries = self.lock();
        entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
        match &found {
            Some(key) => entries.insert(hashed, (key.clone(), Instant::now())),
            None => entries.remove(&hashed),
        };
        Ok(found)
    }

    pub fn forget(&self, id: i64) {
        self.lock().retain(|_, (key, _)| key.id != id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (ApiKey, Instant)>> {
        self.entries.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_project_codes_are_checked() {
        assert!(validate("dashboard", &["air".into()]).is_empty());
        let fields: Vec<String> =
            validate(" ", &["air".into(), "Not A Code".into()]).into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "projects[1]"]);
    }

    #[test]
    fn the_hash_is_hex_sha256() {
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
