//! One error type for every handler, named in HTTP terms. It renders a friendly page and never
//! shows internals; server errors are logged here, without personal data.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use thiserror::Error;

use crate::{db::writer::WriteError, i18n::Locale, views};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("too many requests")]
    TooManyRequests,
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<sea_orm::DbErr> for AppError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Internal(e.to_string())
    }
}

impl From<WriteError> for AppError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Closed => Self::Unavailable(e.to_string()),
            WriteError::Db(db) => Self::Internal(db.to_string()),
        }
    }
}

impl AppError {
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
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let s = Locale::En.strings();
        let (title, body) = match self {
            Self::NotFound => (s.not_found_title, s.not_found_body),
            Self::PayloadTooLarge => (s.too_large_title, s.too_large_body),
            Self::TooManyRequests => (s.too_many_title, s.too_many_body),
            Self::BadRequest(_) | Self::Unavailable(_) | Self::Internal(_) => (s.error_title, s.error_body),
        };
        (status, views::errors::error_page(Locale::En, title, body)).into_response()
    }
}
