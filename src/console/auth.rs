//! Console passwords: argon2id (the RustCrypto `argon2` crate, its default parameters: 19 MiB,
//! 2 passes, 1 lane) in PHC string form, as `accounts.password_hash` keeps them.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Why a password could not be hashed.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    /// The password is empty or longer than [`MAX_PASSWORD_BYTES`].
    #[error("a password must be 1 to {MAX_PASSWORD_BYTES} bytes")]
    Length,
    /// The hasher failed.
    #[error("argon2: {0}")]
    Hash(String),
}

/// The longest password accepted, in bytes (argon2 takes more, but a login form need not).
pub const MAX_PASSWORD_BYTES: usize = 1024;

/// Hashes `password` with argon2id and a fresh 128-bit salt from the OS: a PHC string such as
/// `$argon2id$v=19$m=19456,t=2,p=1$…`, for [`crate::console::Store::add_account`].
///
/// Errors: [`PasswordError::Length`] for an empty or over-long password, [`PasswordError::Hash`].
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    if password.is_empty() || password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::Length);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc` (argon2 with the parameters the string
/// names; the comparison is constant-time). `false` for a malformed string too.
pub fn verify_password(password: &str, phc: &str) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A PHC string no password matches in practice, to verify against when the account does not
/// exist, so that a login for an unknown name takes as long as one with a wrong password.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        hash_password(&crate::console::store::random_secret()).expect("argon2 hashes a secret")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_and_verify() {
        let phc = hash_password("correct horse").unwrap();
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password("correct horse", &phc));
        assert!(!verify_password("correct horsf", &phc));
        assert!(!verify_password("correct horse", "not a phc string"));
        assert_ne!(phc, hash_password("correct horse").unwrap(), "fresh salt");
        assert!(matches!(hash_password(""), Err(PasswordError::Length)));
        assert!(!verify_password("x", dummy_hash()));
    }
}
