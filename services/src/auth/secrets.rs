//! Session and token secrets: 32 random bytes from the operating system, URL-safe base64
//! without padding (43 characters; a token's carries the `pd_` prefix so that it is recognised
//! in a config file or by a secret scanner). The database keeps only their SHA-256: the secret
//! has 256 bits of entropy, so a fast hash suffices (no salt, no argon2), and a lookup by hash
//! is one index probe.

use base64ct::{Base64UrlUnpadded, Encoding};
use model::error::AppError;
use sha2::{Digest, Sha256};

/// What every API token's secret starts with.
pub const TOKEN_PREFIX: &str = "pd_";
/// The characters of a session secret (32 bytes in base64 without padding).
pub const SESSION_SECRET_CHARS: usize = 43;
/// How much of a token's secret its listing shows: the prefix and four characters.
pub(crate) const SHOWN_PREFIX_CHARS: usize = TOKEN_PREFIX.len() + 4;

/// 32 fresh random bytes as URL-safe base64.
pub(crate) fn new_secret() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|err| AppError::Internal(format!("the OS gave no random bytes: {err}")))?;
    Ok(Base64UrlUnpadded::encode_string(&bytes))
}

/// The stored form of a secret: its SHA-256 in lower-case hex.
pub fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_43_url_safe_characters_and_never_repeat() {
        let a = new_secret().unwrap();
        let b = new_secret().unwrap();
        assert_eq!(a.len(), SESSION_SECRET_CHARS);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
            "{a}"
        );
    }

    #[test]
    fn the_stored_hash_is_sha256_hex() {
        assert_eq!(
            hash_secret("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hash_secret(&new_secret().unwrap()).len(), 64);
    }
}
