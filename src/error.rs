//! One error type for every handler, named in HTTP terms. A handler's error becomes a response
//! that carries an [`ErrorReport`]; the error-page middleware (`routes::errors`) renders it in
//! the visitor's language and logs a server error once, with its cause chain, never showing
//! internals to the visitor.

use std::error::Error as StdError;

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use thiserror::Error;

use crate::{db::writer::WriteError, views::errors::ErrorPage};

pub type AppResult<T> = Result<T, AppError>;

/// Any error, with its causes.
pub type BoxError = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    /// The request was malformed; the text is for logs and tests, never shown.
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests,
    #[error("service unavailable")]
    Unavailable(#[source] BoxError),
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(Box::new(e))
    }
}

impl From<WriteError> for AppError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Closed => Self::Unavailable(Box::new(e)),
            WriteError::Db(_) => Self::Internal(Box::new(e)),
        }
    }
}

impl AppError {
    /// An internal error with its cause.
    pub fn internal(e: impl StdError + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(e))
    }

    /// An internal error described by a message (no underlying error to keep).
    pub fn internal_msg(msg: &str) -> Self {
        Self::Internal(msg.to_owned().into())
    }

    /// [`AppError::internal_msg`] for a message already made.
    pub fn internal_msg_owned(msg: String) -> Self {
        Self::Internal(msg.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn page(&self) -> ErrorPage {
        match self {
            Self::NotFound => ErrorPage::NotFound,
            Self::BadRequest(_) => ErrorPage::BadRequest,
            Self::PayloadTooLarge => ErrorPage::TooLarge,
            Self::TooManyRequests => ErrorPage::TooMany,
            Self::Unavailable(_) | Self::Internal(_) => ErrorPage::Failed,
        }
    }

    /// What the middleware needs to render and log this error.
    pub fn report(&self) -> ErrorReport {
        let cause = self.status().is_server_error().then(|| chain(self));
        ErrorReport { page: Some(self.page()), cause }
    }
}

/// An error on its way out, attached to its response: the page to render in its place (none
/// for a response that already has its body, such as JSON) and, for a server error, the whole
/// cause chain to log.
#[derive(Clone, Debug)]
pub struct ErrorReport {
    pub page: Option<ErrorPage>,
    pub cause: Option<String>,
}

/// `error: cause: cause of the cause`.
pub fn chain(e: &(dyn StdError + 'static)) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut res = self.status().into_response();
        res.extensions_mut().insert(self.report());
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_chain_is_kept_for_the_log() {
        let db = sea_orm::DbErr::Custom("constraint refused".into());
        let e = AppError::from(WriteError::Db(db));
        let report = e.report();
        assert_eq!(e.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let cause = report.cause.unwrap_or_default();
        assert!(cause.starts_with("internal error: storing a signature failed: "), "{cause}");
        assert!(cause.ends_with("constraint refused"), "{cause}");
        assert!(AppError::NotFound.report().cause.is_none(), "client errors are not logged");
    }
}
