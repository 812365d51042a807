//! Configuration from the environment (a `.env` file is read first if present).

use std::{net::SocketAddr, time::Duration};

use thiserror::Error;
use url::Url;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("{name} is not valid: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// How log lines are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone, Debug)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Absolute base URL for share links, emails and Open Graph tags, without a trailing slash.
    pub public_url: Url,
    /// Unset: generated and stored in the database on first start.
    pub secret_key: Option<String>,
    /// Unset: emails are stored in the outbox and shown to staff, not sent.
    pub smtp_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` is believed. Empty: the peer address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub log_format: LogFormat,
    /// ISO country whose postal codes new petitions expect.
    pub default_country: String,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    pub request_timeout: Duration,
}

impl Config {
    pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/undersigned.db?mode=rwc";

    /// Reads the process environment, after loading `.env` if there is one.
    pub fn from_env() -> Result<Self, ConfigError> {
        // A missing .env is normal; a broken one should not stop the server either.
        let _ = dotenvy::dotenv();
        Self::from_lookup(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()))
    }

    /// Builds a config from any key lookup (the environment, or a map in tests).
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let invalid = |name: &'static str, reason: String| ConfigError::Invalid { name, reason };
        let bind = get("BIND").unwrap_or_else(|| "127.0.0.1:3000".into());
        let bind = bind.parse().map_err(|e| invalid("BIND", format!("{e} (expected host:port)")))?;
        let public_url = get("PUBLIC_URL").unwrap_or_else(|| "http://localhost:3000".into());
        let public_url =
            Url::parse(public_url.trim_end_matches('/')).map_err(|e| invalid("PUBLIC_URL", e.to_string()))?;
        if !matches!(public_url.scheme(), "http" | "https") || public_url.host_str().is_none() {
            return Err(invalid("PUBLIC_URL", "must be an absolute http(s) URL".into()));
        }
        let trusted_proxies = get("TRUSTED_PROXIES")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().map_err(|e| invalid("TRUSTED_PROXIES", format!("{s}: {e}"))))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let log_format = match get("LOG_FORMAT").as_deref() {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => return Err(invalid("LOG_FORMAT", format!("{other:?}: use pretty or json"))),
        };
        let default_country = get("DEFAULT_COUNTRY").unwrap_or_else(|| "US".into()).to_ascii_uppercase();
        if default_country.len() != 2 || !default_country.bytes().all(|b| b.is_ascii_alphabetic()) {
            return Err(invalid("DEFAULT_COUNTRY", "use a two-letter ISO code such as US".into()));
        }
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.into()),
            bind,
            public_url,
            secret_key: get("SECRET_KEY"),
            smtp_url: get("SMTP_URL"),
            trusted_proxies,
            log_format,
            default_country,
            max_body_bytes: 64 * 1024,
            request_timeout: Duration::from_secs(30),
        })
    }

    /// `PUBLIC_URL` joined with an absolute path.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str().trim_end_matches('/'))
    }

    /// The public host name, to tell internal navigation from a real referrer.
    pub fn public_host(&self) -> &str {
        self.public_url.host_str().unwrap_or_default()
    }

    /// Whether cookies should carry `Secure`.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.scheme() == "https"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let m: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::from_lookup(|k| m.get(k).cloned())
    }

    #[test]
    fn defaults_match_the_design() {
        let c = cfg(&[]).map_err(|e| e.to_string());
        let c = c.as_ref().map(|c| (c.database_url.as_str(), c.bind.to_string(), c.absolute("/p/x")));
        assert_eq!(
            c,
            Ok((Config::DEFAULT_DATABASE_URL, "127.0.0.1:3000".into(), "http://localhost:3000/p/x".into()))
        );
    }

    #[test]
    fn bad_values_are_named() {
        for (k, v) in
            [("BIND", "nope"), ("PUBLIC_URL", "ftp://x"), ("LOG_FORMAT", "xml"), ("TRUSTED_PROXIES", "1.2.3")]
        {
            let err = cfg(&[(k, v)]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with(k), "{k}: {err}");
        }
    }
}
