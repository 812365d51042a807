//! An optional human check on a petition's signing form, from Cloudflare Turnstile or hCaptcha
//! (one provider for the instance, turned on per petition by staff: under attack, say). The
//! widget runs in the signer's browser; the server asks the provider whether its answer is good
//! (`POST` to the verify address with the secret and the answer, never the signer's address).
//! A signature whose check failed, is missing (no JavaScript) or could not be verified in time
//! is held, like one over a limit: its signer confirms by email and counts. Nobody is refused.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Longest wait for the provider's answer; then the signature is held.
pub const VERIFY_TIMEOUT: Duration = Duration::from_secs(3);

/// Who checks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Turnstile,
    Hcaptcha,
}

impl Provider {
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "turnstile" => Some(Self::Turnstile),
            "hcaptcha" => Some(Self::Hcaptcha),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Turnstile => "Cloudflare Turnstile",
            Self::Hcaptcha => "hCaptcha",
        }
    }

    /// The provider's own verify address.
    pub fn verify_url(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/siteverify",
            Self::Hcaptcha => "https://api.hcaptcha.com/siteverify",
        }
    }

    /// The widget's script.
    pub fn script(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com/turnstile/v0/api.js",
            Self::Hcaptcha => "https://js.hcaptcha.com/1/api.js",
        }
    }

    /// The element the script fills in.
    pub fn widget_class(self) -> &'static str {
        match self {
            Self::Turnstile => "cf-turnstile",
            Self::Hcaptcha => "h-captcha",
        }
    }

    /// The form field the widget adds its answer in.
    pub fn field(self) -> &'static str {
        match self {
            Self::Turnstile => "cf-turnstile-response",
            Self::Hcaptcha => "h-captcha-response",
        }
    }

    /// The origins a page with the widget must let in for scripts, frames, connections and
    /// styles, beyond its own.
    pub fn sources(self) -> &'static str {
        match self {
            Self::Turnstile => "https://challenges.cloudflare.com",
            Self::Hcaptcha => "https://hcaptcha.com https://*.hcaptcha.com",
        }
    }
}

/// The instance's provider and keys (`CAPTCHA_PROVIDER`, `CAPTCHA_SITE_KEY`,
/// `CAPTCHA_SECRET_KEY`, `CAPTCHA_VERIFY_URL`).
#[derive(Clone)]
pub struct CaptchaSettings {
    pub provider: Provider,
    pub site_key: String,
    pub secret: SecretString,
    pub verify_url: url::Url,
}

impl std::fmt::Debug for CaptchaSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaptchaSettings")
            .field("provider", &self.provider)
            .field("site_key", &self.site_key)
            .field("secret", &"***")
            .field("verify_url", &shown(&self.verify_url))
            .finish()
    }
}

impl PartialEq for CaptchaSettings {
    fn eq(&self, other: &Self) -> bool {
        self.provider == other.provider
            && self.site_key == other.site_key
            && self.secret.expose_secret() == other.secret.expose_secret()
            && self.verify_url == other.verify_url
    }
}

/// `url` without a password or query, for logs.
fn shown(url: &url::Url) -> String {
    format!("{}://{}{}", url.scheme(), url.host_str().unwrap_or_default(), url.path())
}

/// Whether the secret may be sent to `url`: over https, or plain http to this machine.
pub fn safe_verify_url(url: &url::Url) -> bool {
    match url.scheme() {
        "https" => url.host_str().is_some(),
        "http" => matches!(url.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")),
        _ => false,
    }
}

/// What the provider said of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Wrong, used, expired, or none given.
    Failed,
    /// No answer in time, or one that could not be read.
    Unavailable,
}

/// Checks answers with the provider.
#[derive(Clone, Debug)]
pub struct Captcha {
    pub settings: CaptchaSettings,
    client: reqwest::Client,
}

#[derive(Deserialize)]
struct Answer {
    success: bool,
}

impl Captcha {
    pub fn new(settings: CaptchaSettings) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(VERIFY_TIMEOUT)
            .connect_timeout(VERIFY_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self { settings, client })
    }

    /// Whether `response` (the widget's answer in the form) is good.
    pub async fn verify(&self, response: &str) -> Verdict {
        let response = response.trim();
        // The providers' answers are a few kilobytes at most.
        if response.is_empty() || response.len() > 16 * 1024 {
            return Verdict::Failed;
        }
        let form = [("secret", self.settings.secret.expose_secret()), ("response", response)];
        let sent = self.client.post(self.settings.verify_url.clone()).form(&form).send().await;
        let answer = match sent {
            Ok(res) if res.status().is_success() => res.json::<Answer>().await,
            Ok(res) => {
                tracing::warn!(
                    status = res.status().as_u16(),
                    "the human check's provider refused to verify"
                );
                return Verdict::Unavailable;
            }
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "the human check's provider did not answer");
                return Verdict::Unavailable;
            }
        };
        match answer {
            Ok(Answer { success: true }) => Verdict::Passed,
            Ok(Answer { success: false }) => Verdict::Failed,
            Err(e) => {
                tracing::warn!(error = %e.without_url(), "the human check's answer could not be read");
                Verdict::Unavailable
            }
        }
    }
}
