//! Staff accounts: roles, password rules and hashing (Argon2id), and the random tokens of
//! sessions and one-time links (kept in the database only as their SHA-256).

use argon2::{
    Argon2,
    password_hash::{PasswordHasher, PasswordVerifier},
};
use rand::{Rng, distr::Alphanumeric};
use sha2::{Digest, Sha256};

pub use entity::staff::Role;

/// Shortest password accepted (a passphrase of a few words is easy to type and hard to guess).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Longest password accepted (hashing a very long one would be work for nothing).
pub const MAX_PASSWORD_CHARS: usize = 256;

/// The name of a role, as typed on the command line and stored.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Organizer => "organizer",
        Role::Viewer => "viewer",
    }
}

pub fn parse_role(s: &str) -> Option<Role> {
    [Role::Admin, Role::Organizer, Role::Viewer].into_iter().find(|r| role_name(*r) == s.trim())
}

/// Why a password is refused.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("use at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("use at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("the two passwords differ")]
    Differ,
}

/// Checks a new password and its repetition.
pub fn check_password(password: &str, again: &str) -> Result<(), PasswordError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if n > MAX_PASSWORD_CHARS {
        return Err(PasswordError::TooLong);
    }
    if password != again {
        return Err(PasswordError::Differ);
    }
    Ok(())
}

/// An Argon2id hash of `password` (PHC string, salt included). Slow on purpose: call it off the
/// async threads.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Whether `password` matches `hash`. Slow on purpose, like [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    password.chars().count() <= MAX_PASSWORD_CHARS
        && Argon2::default().verify_password(password.as_bytes(), hash).is_ok()
}

/// A hash to check passwords against when there is no account, so that a login for an unknown
/// email takes as long as one for a known email.
pub fn decoy_hash() -> &'static str {
    static DECOY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("not a password of anyone").unwrap_or_default());
    &DECOY
}

/// A new random token (for a session cookie or a one-time link): 43 letters and digits, about
/// 256 bits.
pub fn new_token() -> String {
    rand::rng().sample_iter(Alphanumeric).take(43).map(char::from).collect()
}

/// Whether `token` (from a link) could be one of [`new_token`]'s, and is worth looking up.
pub fn could_be_token(token: &str) -> bool {
    (1..=64).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// How a token is kept in the database: its SHA-256, in hex.
pub fn token_id(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// An email as an account is known by: trimmed and lower-cased; `None` if it is not an address.
pub fn account_email(email: &str) -> Option<String> {
    let e = email.trim().to_lowercase();
    let (local, domain) = e.split_once('@')?;
    let ok = !local.is_empty()
        && domain.contains('.')
        && e.len() <= 320
        && !e.chars().any(|c| c.is_whitespace() || c.is_control());
    ok.then_some(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify_and_a_wrong_one_fails() {
        let hash = hash_password("correct horse battery").expect("hashed");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
        assert_ne!(hash, hash_password("correct horse battery").expect("hashed"), "salted");
        assert!(!verify_password("correct horse battery", decoy_hash()));
    }

    #[test]
    fn password_rules() {
        assert_eq!(check_password("short", "short"), Err(PasswordError::TooShort));
        assert_eq!(check_password(&"x".repeat(257), &"x".repeat(257)), Err(PasswordError::TooLong));
        assert_eq!(check_password("long enough pass", "long enough pasS"), Err(PasswordError::Differ));
        assert_eq!(check_password("long enough pass", "long enough pass"), Ok(()));
    }

    #[test]
    fn tokens_are_long_random_and_kept_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
        assert_eq!(token_id(&a).len(), 64);
        assert_ne!(token_id(&a), a);
    }

    #[test]
    fn roles_and_emails_parse() {
        assert_eq!(parse_role("organizer"), Some(Role::Organizer));
        assert_eq!(parse_role("owner"), None);
        assert!(Role::Admin > Role::Organizer && Role::Organizer > Role::Viewer);
        assert_eq!(account_email("  Ana@Example.ORG "), Some("ana@example.org".to_owned()));
        assert_eq!(account_email("ana"), None);
        assert_eq!(account_email("a b@example.org"), None);
    }
}
