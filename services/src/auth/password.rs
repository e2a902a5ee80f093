//! Password hashes: argon2id with OWASP's minimum parameters (m = 19 MiB, t = 2, p = 1),
//! stored as PHC strings. Hashing takes tens of milliseconds of CPU on purpose, so the async
//! callers run it on the blocking pool ([`hash_async`], [`verify_async`]).

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::{Algorithm, Argon2, Params, Version};
use model::error::AppError;

/// Memory per hash, KiB (19 MiB).
pub const ARGON2_M_COST_KIB: u32 = 19_456;
/// Passes over the memory.
pub const ARGON2_T_COST: u32 = 2;
/// Lanes.
pub const ARGON2_P_COST: u32 = 1;

fn argon2() -> Result<Argon2<'static>, AppError> {
    let params = Params::new(ARGON2_M_COST_KIB, ARGON2_T_COST, ARGON2_P_COST, None)
        .map_err(|err| AppError::Internal(format!("argon2 parameters: {err}")))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

/// The PHC string of `password` with a fresh random salt (blocking: tens of milliseconds).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|err| AppError::Internal(format!("hashing a password: {err}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the PHC string `hash` (its own parameters apply, so hashes made
/// with other parameters still verify). A malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    argon2()
        .map(|argon2| argon2.verify_password(password.as_bytes(), hash).is_ok())
        .unwrap_or(false)
}

/// A hash of no one's password with the same parameters: a login for an unknown name verifies
/// against it, so that it takes as long as a wrong password for a known one.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("no user has this password").unwrap_or_default());

/// Computes the dummy hash now rather than in the first login for an unknown name, which would
/// otherwise take twice as long as any other and so stand out.
pub(crate) fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

pub(crate) fn dummy_hash() -> String {
    DUMMY_HASH.clone()
}

pub(crate) async fn hash_async(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|err| AppError::Internal(format!("hashing a password: {err}")))?
}

pub(crate) async fn verify_async(password: &str, hash: String) -> Result<bool, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|err| AppError::Internal(format!("verifying a password: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_the_stated_parameters_and_verify() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse battery!", &hash));
        assert!(!verify_password("correct horse battery", "not a hash"));
        // A fresh salt each time.
        assert_ne!(hash, hash_password("correct horse battery").unwrap());
        assert!(dummy_hash().starts_with("$argon2id$"));
    }
}
