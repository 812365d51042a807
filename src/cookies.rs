//! The few cookies the public pages use. None holds personal data: the first-touch
//! attribution (campaign parameters) and the signer's random share code.

use axum::http::{HeaderMap, HeaderValue, header};

/// First-touch attribution, for the whole site.
pub const FIRST_TOUCH: &str = "us_ft";
/// The signer's share code, scoped to one petition's path.
pub const SHARE_CODE: &str = "us_share";

/// The value of cookie `name` in the request, if any.
pub fn get<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, `Secure` when the site is served over https.
/// `value` must already be cookie-safe (the callers URL-encode or use plain codes).
pub fn set(name: &str, value: &str, path: &str, max_age_days: u32, secure: bool) -> Option<HeaderValue> {
    let secure = if secure { "; Secure" } else { "" };
    let max_age = u64::from(max_age_days) * 86_400;
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}"
    ))
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_cookie_among_many() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; us_ft=source%3Dx; b=2"));
        assert_eq!(get(&h, FIRST_TOUCH), Some("source%3Dx"));
        assert_eq!(get(&h, "c"), None);
    }
}
