//! Configuration from the environment (a `.env` file is read first if present).

use std::{fmt, net::SocketAddr, time::Duration};

use ipnet::IpNet;
use secrecy::{ExposeSecret, SecretString};
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

/// The settings. `Debug` shows no secret: the secret key is never printed and the passwords in
/// `DATABASE_URL` and `SMTP_URL` are masked.
#[derive(Clone)]
pub struct Config {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    pub bind: SocketAddr,
    /// Absolute base URL for share links, emails and Open Graph tags, without a trailing slash.
    pub public_url: Url,
    /// Unset: generated and stored in the database on first start. At least
    /// [`Config::MIN_SECRET_KEY_BYTES`] long.
    pub secret_key: Option<SecretString>,
    /// Unset: emails are stored in the outbox and shown to staff, not sent.
    pub smtp_url: Option<SecretString>,
    /// How email is sent.
    pub mail: MailSettings,
    /// Proxies (addresses or CIDR ranges) whose `X-Forwarded-For` is believed. Empty: the peer
    /// address is the client.
    pub trusted_proxies: Vec<IpNet>,
    /// Origins (`https://partner.example`) whose pages may frame the signing form at
    /// `/embed/{slug}`. Empty: no site may.
    pub embed_origins: Vec<String>,
    pub log_format: LogFormat,
    /// ISO country whose postal codes new petitions expect.
    pub default_country: String,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// Longest a request may take, its body included (`REQUEST_TIMEOUT_SECONDS`, default 30).
    pub request_timeout: Duration,
    /// Longest a connection may take to send a request's head, or wait idle between requests
    /// (`HEADER_TIMEOUT_SECONDS`, default 10).
    pub header_timeout: Duration,
    /// Longest a request's body may take to arrive, from its first byte to its last
    /// (`BODY_TIMEOUT_SECONDS`, default 10).
    pub body_timeout: Duration,
    /// Connections served at once (`MAX_CONNECTIONS`, default 1024); more wait to be accepted.
    pub max_connections: usize,
    /// While nearly every place is taken, the most connections one address (an IPv6 /64) may
    /// hold before more from it are refused (`MAX_CONNECTIONS_PER_ADDRESS`, default 64).
    pub max_connections_per_address: usize,
    /// How webhooks are delivered.
    pub webhooks: WebhookSettings,
    /// Limits on signing (`LIMIT_*`).
    pub limits: crate::limits::LimitSettings,
    /// Where `/metrics` is served (`METRICS_BIND`); unset, it is not.
    pub metrics_bind: Option<SocketAddr>,
    /// The human check petitions may turn on (`CAPTCHA_*`); unset, none can.
    pub captcha: Option<crate::captcha::CaptchaSettings>,
    /// Signer data is anonymised this many months after a petition closes (`RETENTION_MONTHS`,
    /// default 24; `off` keeps it).
    pub retention_months: Option<u32>,
    /// When the network and domain limits are also enforced in the database (`LIMIT_NETWORK_IN_DATABASE`,
    /// PostgreSQL only): by default while several server processes serve one database.
    pub limit_network_in_database: crate::peers::DatabaseLimit,
    /// Signatures from one network or one email domain in an hour that raise a notice on a
    /// campaign's review page (`REVIEW_NETWORK_PER_HOUR`, 20; `REVIEW_DOMAIN_PER_HOUR`, 50).
    pub review: crate::domain::review::Thresholds,
    /// Whether review notices are emailed to organizers and admins (`REVIEW_NOTICE_EMAILS`,
    /// default true); false, they are shown on the review page only.
    pub review_notice_emails: bool,
}

/// How webhooks are delivered (`WEBHOOK_*`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WebhookSettings {
    /// Deliver to loopback, private and link-local addresses (`WEBHOOK_ALLOW_PRIVATE`): for
    /// receivers on the same machine or network. Off, such endpoints are refused when they are
    /// configured and again when each delivery's address is looked up.
    pub allow_private: bool,
    /// Attempts before a delivery is given up as dead (`WEBHOOK_MAX_ATTEMPTS`, default 12:
    /// with the default delays, 1.7 to 3.4 hours of retrying).
    pub max_attempts: i32,
    /// The delay before the first retry; each later one doubles, up to an hour, with jitter
    /// (`WEBHOOK_RETRY_BASE_MS`, default 10000).
    pub retry_base: Duration,
    /// Longest wait for an endpoint's answer (`WEBHOOK_TIMEOUT_SECONDS`, default 10).
    pub timeout: Duration,
    /// How long a worker holds the deliveries it took before another may take them (it died
    /// or hangs); two minutes.
    pub lease: Duration,
}

/// How email is sent (`MAIL_*`, `GOAL_CHECK_MS`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailSettings {
    /// The sender (`MAIL_FROM`), a mailbox such as `Campaign <noreply@example.org>`; by default
    /// `Undersigned <noreply@…>` at `PUBLIC_URL`'s host.
    pub from: String,
    /// Attempts before an email the server keeps refusing for now is given up
    /// (`MAIL_MAX_ATTEMPTS`, default 8).
    pub max_attempts: i32,
    /// The delay before the first retry; each later one doubles, up to an hour
    /// (`MAIL_RETRY_BASE_MS`, default 60000).
    pub retry_base: Duration,
    /// How often petitions are looked at for goal milestones and delivery schedules
    /// (`GOAL_CHECK_MS`, default 5000).
    pub goal_check: Duration,
    /// The hour of the day (UTC) letters' recipients get their daily update
    /// (`RECIPIENT_DIGEST_HOUR`, default 17).
    pub digest_hour: u32,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            max_attempts: 12,
            retry_base: Duration::from_secs(10),
            timeout: Duration::from_secs(10),
            lease: Duration::from_secs(120),
        }
    }
}

impl Config {
    pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/undersigned.db?mode=rwc";
    /// Shortest `SECRET_KEY` accepted: signing keys are derived from it, and a short one could
    /// be guessed.
    pub const MIN_SECRET_KEY_BYTES: usize = 32;

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
        let bind: SocketAddr =
            bind.parse().map_err(|e| invalid("BIND", format!("{e} (expected host:port)")))?;
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
                    .map(|s| {
                        parse_net(s).ok_or_else(|| {
                            invalid("TRUSTED_PROXIES", format!("{s:?} is not an IP address or CIDR range"))
                        })
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let embed_origins = get("EMBED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| {
                        parse_origin(s).ok_or_else(|| {
                            invalid(
                                "EMBED_ORIGINS",
                                format!("{s:?} is not an origin like https://partner.example"),
                            )
                        })
                    })
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
        let secret_key = get("SECRET_KEY");
        if let Some(k) = &secret_key
            && k.len() < Self::MIN_SECRET_KEY_BYTES
        {
            return Err(invalid(
                "SECRET_KEY",
                format!(
                    "it is {} bytes long; use at least {} random characters (for example the output \
                     of `openssl rand -hex 32`), or unset it to have one generated",
                    k.len(),
                    Self::MIN_SECRET_KEY_BYTES
                ),
            ));
        }
        let number = |name: &'static str, default: u64, range: std::ops::RangeInclusive<u64>| {
            let Some(v) = get(name) else { return Ok(default) };
            v.trim().parse::<u64>().ok().filter(|n| range.contains(n)).ok_or_else(|| {
                invalid(name, format!("{v:?}: use a whole number from {} to {}", range.start(), range.end()))
            })
        };
        let limit_network_in_database = match get("LIMIT_NETWORK_IN_DATABASE") {
            None => crate::peers::DatabaseLimit::default(),
            Some(v) => crate::peers::DatabaseLimit::parse(&v).ok_or_else(|| {
                invalid("LIMIT_NETWORK_IN_DATABASE", format!("{v:?}: use auto, true or false"))
            })?,
        };
        let flag = |name: &'static str, default: bool| match get(name)
            .map(|v| v.trim().to_ascii_lowercase())
            .as_deref()
        {
            None => Ok(default),
            Some("true" | "1" | "yes") => Ok(true),
            Some("false" | "0" | "no") => Ok(false),
            Some(other) => Err(invalid(name, format!("{other:?}: use true or false"))),
        };
        let allow_private = flag("WEBHOOK_ALLOW_PRIVATE", false)?;
        let review_notice_emails = flag("REVIEW_NOTICE_EMAILS", true)?;
        let webhooks = WebhookSettings {
            allow_private,
            max_attempts: i32::try_from(number("WEBHOOK_MAX_ATTEMPTS", 12, 1..=100)?).unwrap_or(12),
            retry_base: Duration::from_millis(number("WEBHOOK_RETRY_BASE_MS", 10_000, 1..=3_600_000)?),
            timeout: Duration::from_secs(number("WEBHOOK_TIMEOUT_SECONDS", 10, 1..=120)?),
            ..WebhookSettings::default()
        };
        // A round (at most eight requests one after another per slot) must end within the
        // lease, or another process would take its deliveries and send them again.
        let webhooks = WebhookSettings {
            lease: webhooks.lease.max(webhooks.timeout * 8 + Duration::from_secs(30)),
            ..webhooks
        };
        if let Some(url) = get("SMTP_URL") {
            let parsed = Url::parse(&url).ok().filter(|u| matches!(u.scheme(), "smtp" | "smtps"));
            let Some(parsed) = parsed else {
                return Err(invalid(
                    "SMTP_URL",
                    "use smtps://user:password@host:465, or smtp://host:587?tls=required".into(),
                ));
            };
            // A password is never sent in the clear, except to this machine.
            // The first `tls` is the one the mail client reads; `opportunistic` would let an
            // attacker who hides STARTTLS read the password.
            let tls = parsed.query_pairs().find(|(k, _)| k == "tls").is_some_and(|(_, v)| v == "required");
            let local = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
            if parsed.scheme() == "smtp" && parsed.password().is_some() && !tls && !local {
                return Err(invalid(
                    "SMTP_URL",
                    "it would send the password unencrypted: use smtps://…:465, or add ?tls=required".into(),
                ));
            }
        }
        let from = get("MAIL_FROM").unwrap_or_else(|| {
            format!("Undersigned <noreply@{}>", public_url.host_str().unwrap_or("localhost"))
        });
        if from.trim().parse::<lettre::message::Mailbox>().is_err() {
            return Err(invalid(
                "MAIL_FROM",
                format!("{from:?} is not an address such as \"Campaign <noreply@example.org>\""),
            ));
        }
        let mail = MailSettings {
            from: from.trim().to_owned(),
            max_attempts: i32::try_from(number("MAIL_MAX_ATTEMPTS", 8, 1..=50)?).unwrap_or(8),
            retry_base: Duration::from_millis(number("MAIL_RETRY_BASE_MS", 60_000, 10..=3_600_000)?),
            goal_check: Duration::from_millis(number("GOAL_CHECK_MS", 5_000, 100..=3_600_000)?),
            digest_hour: u32::try_from(number("RECIPIENT_DIGEST_HOUR", 17, 0..=23)?).unwrap_or(17),
        };
        let request_timeout = Duration::from_secs(number("REQUEST_TIMEOUT_SECONDS", 30, 1..=600)?);
        let header_timeout = Duration::from_secs(number("HEADER_TIMEOUT_SECONDS", 10, 1..=300)?);
        let body_timeout = Duration::from_secs(number("BODY_TIMEOUT_SECONDS", 10, 1..=600)?);
        let max_connections =
            usize::try_from(number("MAX_CONNECTIONS", 1024, 16..=1_000_000)?).unwrap_or(1024);
        let max_connections_per_address =
            usize::try_from(number("MAX_CONNECTIONS_PER_ADDRESS", 64, 1..=1_000_000)?).unwrap_or(64);
        let mut limits = crate::limits::LimitSettings::default();
        for (name, rates) in [
            ("LIMIT_NETWORK", &mut limits.network),
            ("LIMIT_DOMAIN", &mut limits.domain),
            ("LIMIT_EMAIL", &mut limits.email),
            ("LIMIT_FLOOD", &mut limits.flood),
        ] {
            if let Some(v) = get(name) {
                *rates = crate::limits::Rate::parse_list(&v).ok_or_else(|| {
                    invalid(
                        name,
                        format!(
                            "{v:?}: use rates such as 1/1m,5/5m (s, m, h or d, up to {}d), or off",
                            crate::limits::Rate::LONGEST_SECONDS / 86_400
                        ),
                    )
                })?;
            }
        }
        limits.disposable = match get("DISPOSABLE_DOMAINS").as_deref().map(str::trim) {
            None | Some("built-in") => crate::limits::DomainList::built_in(),
            Some("off") => crate::limits::DomainList::none(),
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| {
                    invalid(
                        "DISPOSABLE_DOMAINS",
                        format!("{path:?} cannot be read ({e}): use built-in, off or a file"),
                    )
                })?;
                crate::limits::DomainList::parse(&text, path)
            }
        };
        limits.form_min = Duration::from_secs(number("FORM_MIN_SECONDS", 2, 0..=600)?);
        limits.form_max = Duration::from_secs(number("FORM_MAX_HOURS", 48, 0..=24 * 365)? * 3600);
        let captcha = match get("CAPTCHA_PROVIDER") {
            None => None,
            Some(p) => {
                let provider = crate::captcha::Provider::parse(&p).ok_or_else(|| {
                    invalid("CAPTCHA_PROVIDER", format!("{p:?}: use turnstile or hcaptcha"))
                })?;
                let site_key = get("CAPTCHA_SITE_KEY").map(|k| k.trim().to_owned()).ok_or_else(|| {
                    invalid("CAPTCHA_SITE_KEY", format!("{} needs its site key", provider.name()))
                })?;
                if !site_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
                    return Err(invalid("CAPTCHA_SITE_KEY", "use the key as the provider gives it".into()));
                }
                let secret = get("CAPTCHA_SECRET_KEY").ok_or_else(|| {
                    invalid("CAPTCHA_SECRET_KEY", format!("{} needs its secret key", provider.name()))
                })?;
                let verify = get("CAPTCHA_VERIFY_URL").unwrap_or_else(|| provider.verify_url().to_owned());
                // The secret goes there: encrypted, unless to this machine. The value is not
                // repeated (it may hold a proxy's password).
                let verify_url = Url::parse(verify.trim())
                    .ok()
                    .filter(crate::captcha::safe_verify_url)
                    .ok_or_else(|| {
                        invalid(
                            "CAPTCHA_VERIFY_URL",
                            "use an https URL (plain http only to this machine)".into(),
                        )
                    })?;
                Some(crate::captcha::CaptchaSettings {
                    provider,
                    site_key,
                    secret: SecretString::from(secret.trim().to_owned()),
                    verify_url,
                })
            }
        };
        let retention_months = match get("RETENTION_MONTHS").map(|v| v.trim().to_owned()) {
            None => Some(24),
            Some(v) if v == "off" => None,
            Some(v) => Some(v.parse::<u32>().ok().filter(|n| (1..=1200).contains(n)).ok_or_else(|| {
                invalid("RETENTION_MONTHS", format!("{v:?}: use a number of months from 1 to 1200, or off"))
            })?),
        };
        let review = crate::domain::review::Thresholds {
            network: i64::try_from(number("REVIEW_NETWORK_PER_HOUR", 20, 1..=1_000_000)?).unwrap_or(20),
            domain: i64::try_from(number("REVIEW_DOMAIN_PER_HOUR", 50, 1..=1_000_000)?).unwrap_or(50),
        };
        let metrics_bind = get("METRICS_BIND")
            .map(|v| {
                v.trim().parse::<SocketAddr>().map_err(|_| {
                    invalid(
                        "METRICS_BIND",
                        format!("{v:?} is not an address and port such as 127.0.0.1:9100"),
                    )
                })
            })
            .transpose()?;
        // One port on any address of the machine (0.0.0.0 is all of them) is the public one.
        if let Some(m) = metrics_bind
            && m.port() != 0
            && m.port() == bind.port()
            && (m.ip() == bind.ip() || m.ip().is_unspecified() || bind.ip().is_unspecified())
        {
            return Err(invalid("METRICS_BIND", "it must differ from BIND: metrics are not public".into()));
        }
        Ok(Self {
            database_url: get("DATABASE_URL").unwrap_or_else(|| Self::DEFAULT_DATABASE_URL.into()),
            bind,
            public_url,
            secret_key: secret_key.map(SecretString::from),
            smtp_url: get("SMTP_URL").map(SecretString::from),
            mail,
            trusted_proxies,
            embed_origins,
            log_format,
            default_country,
            max_body_bytes: 64 * 1024,
            request_timeout,
            header_timeout,
            body_timeout,
            max_connections,
            max_connections_per_address,
            webhooks,
            limits,
            metrics_bind,
            captcha,
            retention_months,
            limit_network_in_database,
            review,
            review_notice_emails,
        })
    }

    /// The configured secret key, if any.
    pub fn secret_key(&self) -> Option<&str> {
        self.secret_key.as_ref().map(ExposeSecret::expose_secret)
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

/// An address (`10.0.0.1`, `::1`) as a one-address range, or a CIDR range (`10.0.0.0/8`).
fn parse_net(s: &str) -> Option<IpNet> {
    s.parse::<IpNet>().ok().or_else(|| s.parse::<std::net::IpAddr>().ok().map(IpNet::from)).map(|n| n.trunc())
}

/// An origin: `http(s)://host[:port]` and nothing more, lower-cased as browsers send it.
fn parse_origin(s: &str) -> Option<String> {
    let url = Url::parse(s).ok()?;
    let plain = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.username().is_empty()
        && url.password().is_none()
        && matches!(url.path(), "" | "/")
        && url.query().is_none()
        && url.fragment().is_none();
    plain.then(|| url.origin().ascii_serialization())
}

/// A URL with its password masked, for `Debug`.
fn masked(url: &str) -> String {
    match Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => url.to_owned(),
        Err(_) => "(not a URL)".to_owned(),
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &masked(&self.database_url))
            .field("bind", &self.bind)
            .field("public_url", &self.public_url.as_str())
            .field("secret_key", &self.secret_key.as_ref().map(|_| "(set)"))
            .field("smtp_url", &self.smtp_url.as_ref().map(|u| masked(u.expose_secret())))
            .field("trusted_proxies", &self.trusted_proxies)
            .field("embed_origins", &self.embed_origins)
            .field("log_format", &self.log_format)
            .field("default_country", &self.default_country)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("request_timeout", &self.request_timeout)
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .field("max_connections", &self.max_connections)
            .field("max_connections_per_address", &self.max_connections_per_address)
            .field("captcha", &self.captcha)
            .field("mail", &self.mail)
            .field("webhooks", &self.webhooks)
            .finish()
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
        for (k, v) in [
            ("BIND", "nope"),
            ("PUBLIC_URL", "ftp://x"),
            ("LOG_FORMAT", "xml"),
            ("TRUSTED_PROXIES", "1.2.3"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "10.0.0.1, proxy.internal"),
            ("SECRET_KEY", "short"),
            ("WEBHOOK_ALLOW_PRIVATE", "maybe"),
            ("REVIEW_NOTICE_EMAILS", "sometimes"),
            ("WEBHOOK_MAX_ATTEMPTS", "0"),
            ("WEBHOOK_RETRY_BASE_MS", "-5"),
            ("WEBHOOK_TIMEOUT_SECONDS", "soon"),
            ("SMTP_URL", "mail.example.org"),
            ("SMTP_URL", "https://mail.example.org"),
            ("SMTP_URL", "smtp://user:pass@mail.example.org:587"),
            ("SMTP_URL", "smtp://user:pass@mail.example.org:587?tls=opportunistic"),
            ("MAIL_FROM", "not an address"),
            ("MAIL_FROM", "Campaign <@example.org>"),
            ("MAIL_MAX_ATTEMPTS", "0"),
            ("MAIL_RETRY_BASE_MS", "fast"),
            ("GOAL_CHECK_MS", "1"),
            ("RECIPIENT_DIGEST_HOUR", "24"),
            ("METRICS_BIND", "nowhere"),
            ("METRICS_BIND", "127.0.0.1:3000"),
            ("METRICS_BIND", "0.0.0.0:3000"),
            ("LIMIT_NETWORK", "1/fortnight"),
            ("LIMIT_EMAIL", "0/1m"),
        ] {
            let err = cfg(&[(k, v)]).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with(k), "{k}: {err}");
        }
        // A rate's period past the longest says how long it may be.
        let err = cfg(&[("LIMIT_DOMAIN", "1/400d")]).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.starts_with("LIMIT_DOMAIN") && err.contains("up to 366d"), "{err}");
    }

    #[test]
    fn mail_is_from_the_public_host_unless_set() {
        let from = |env: &[(&str, &str)]| cfg(env).map(|c| c.mail.from).map_err(|e| e.to_string());
        assert_eq!(from(&[]), Ok("Undersigned <noreply@localhost>".into()));
        assert_eq!(
            from(&[("PUBLIC_URL", "https://sign.example.org")]),
            Ok("Undersigned <noreply@sign.example.org>".into())
        );
        assert_eq!(
            from(&[("MAIL_FROM", " Nurses United <alerts@example.org> ")]),
            Ok("Nurses United <alerts@example.org>".into())
        );
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:pass@mail.example.org:587?tls=required",
            "smtps://user:pass@mail.example.org",
            "smtp://user:pass@localhost:25",
        ] {
            let ok = cfg(&[("SMTP_URL", url)]).map(|c| c.smtp_url.is_some());
            assert!(matches!(ok, Ok(true)), "{url}");
        }
    }

    #[test]
    fn trusted_proxies_take_addresses_and_ranges() {
        let c =
            cfg(&[("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1,")]).map_err(|e| e.to_string());
        let nets: Result<Vec<String>, _> =
            c.map(|c| c.trusted_proxies.iter().map(ToString::to_string).collect());
        assert_eq!(
            nets,
            Ok(vec!["10.0.0.0/8".into(), "192.168.1.7/32".into(), "fd00::/8".into(), "::1/128".into()])
        );
    }

    #[test]
    fn embed_origins_are_plain_origins() {
        let c = cfg(&[("EMBED_ORIGINS", "https://Partner.Example, http://localhost:8080/ ,")]);
        let origins = c.map(|c| c.embed_origins).map_err(|e| e.to_string());
        assert_eq!(origins, Ok(vec!["https://partner.example".into(), "http://localhost:8080".into()]));
    }

    #[test]
    fn debug_shows_no_secret() {
        let secret = "k".repeat(40);
        let c = cfg(&[
            ("SECRET_KEY", &secret),
            ("DATABASE_URL", "postgres://app:hunter2@db.internal/undersigned"),
            ("SMTP_URL", "smtps://mailer:s3cret-pass@smtp.example.org:465"),
        ])
        .map(|c| format!("{c:?}"))
        .unwrap_or_default();
        assert!(c.contains("db.internal") && c.contains("smtp.example.org"), "{c}");
        for leak in [secret.as_str(), "hunter2", "s3cret-pass"] {
            assert!(!c.contains(leak), "{leak} in {c}");
        }
    }
}
