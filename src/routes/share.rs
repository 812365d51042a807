//! `GET /p/{slug}/share/{network}`: every share button goes through here. A person's click is
//! counted (per petition, day, network and share text), then the visitor is sent to the
//! network's share dialog with the petition's own link, crediting the sharer's code and the
//! share text chosen for this click. The target is always built
//! here from the closed set of networks, never taken from the request.

use axum::{
    Router,
    body::Body,
    extract::{Path, RawQuery, State},
    http::{HeaderValue, StatusCode, header},
    response::Response,
    routing::get,
};

use super::{
    landing,
    public::{self, landing_of, page_locale},
    visitor::Visitor,
};
use crate::{
    domain::{ShareCode, share::Network},
    error::{AppError, AppResult},
    state::AppState,
};

pub fn router() -> Router<AppState> {
    Router::new().route("/p/{slug}/share/{network}", get(share))
}

/// What a share button's link says: the sharer's code (`ref`) and the landing page the petition
/// was signed on (`a`). Anything else is ignored, and so is a value that does not parse.
#[derive(Debug, Default)]
struct ShareQuery {
    sharer: Option<ShareCode>,
    landing: String,
}

impl ShareQuery {
    fn parse(query: &str) -> Self {
        let pairs = url::form_urlencoded::parse(query.as_bytes());
        let first = |name: &str| pairs.clone().find(|(k, _)| k == name).map(|(_, v)| v);
        Self {
            sharer: first("ref").and_then(|v| ShareCode::parse(&v)),
            landing: first("a").map(|v| v.into_owned()).unwrap_or_default(),
        }
    }
}

async fn share(
    State(state): State<AppState>,
    Path((slug, network)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    visitor: Visitor,
) -> AppResult<Response> {
    let rec = public::load(&state, &slug).await?;
    let network = Network::parse(&network).ok_or(AppError::NotFound)?;
    let query = ShareQuery::parse(query.as_deref().unwrap_or_default());
    // Shared from a landing page's thanks page: the landing page is what gets shared, in its
    // language. Only a live landing page of this petition counts.
    let via = landing_of(&state, &rec, &query.landing).await;
    let (path, locale) = match &via {
        Some(l) => (format!("/a/{}", l.landing.slug), landing::locale(&visitor, l)),
        None => (format!("/p/{}", rec.petition.slug), page_locale(&visitor, &rec)),
    };
    // Staff's wordings for this language, one chosen per click; else the catalogue's.
    let texts: Vec<_> = rec.live_share_texts(locale).collect();
    let chosen = state.share_texts.pick(&state.db.read, rec.petition.id, &texts);
    let link =
        network.shared_link(&state.config.absolute(&path), query.sharer.as_ref(), chosen.map(|t| t.id));
    let content = rec.content(locale.tag());
    let text = match chosen {
        Some(t) => std::borrow::Cow::Borrowed(t.text.as_str()),
        None => locale.t("share-text"),
    };
    let target = network.share_url(&link, &text, content.title);
    let location = HeaderValue::try_from(target).map_err(|e| AppError::Internal(e.into()))?;
    if visitor.is_person() {
        state.visits.count_share(rec.petition.id, network.slug(), chosen.map_or(0, |t| t.id));
    }
    let mut res = super::roomy(StatusCode::FOUND, Body::empty());
    let headers = res.headers_mut();
    headers.insert(header::LOCATION, location);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // The network learns the shared link from the dialog's URL, not where the click was.
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_plain_code_and_the_first_values_are_taken() {
        let q = ShareQuery::parse("ref=Ab12Cd34&ref=Zz99Zz99&a=ad-1&a=other&next=https://evil.example");
        assert_eq!(q.sharer.as_ref().map(ShareCode::as_str), Some("Ab12Cd34"));
        assert_eq!(q.landing, "ad-1");
        let bad = ShareQuery::parse("ref=%3Cscript%3E&a=");
        assert!(bad.sharer.is_none() && bad.landing.is_empty());
        assert!(ShareQuery::parse("%%%&&==").sharer.is_none());
    }
}
