//! Landing pages in the admin: creating and editing an ad's page for a campaign, uploading its
//! hero image (checked, cleaned of camera metadata), and adding posters' short codes.

use axum::{
    Form,
    extract::{Multipart, Path, State},
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::Utc;
use entity::landing_page::{self, Status};
use sea_orm::TransactionTrait;

use crate::domain::campaign::one_line;

use super::{PageKit, StaffUser, campaign, flash_redirect, id_of, ip_hash};
use crate::{
    db::{
        landing,
        petitions::PetitionRecord,
        staff::{self, Audit},
    },
    domain::{
        landing::{CodeForm, FormErrors, LandingForm, parse_code, status_name},
        upload::{self, UploadError},
    },
    error::{AppError, AppResult},
    routes::client_ip::ClientIp,
    state::AppState,
    views::admin::{
        Flash,
        landing::{CodeRow, ExistingLanding, HeroImage, LandingEditor, landing_editor},
    },
};

async fn page_of(state: &AppState, raw: &str) -> AppResult<landing_page::Model> {
    landing::by_id(&state.db.read, id_of(raw)?).await?.ok_or(AppError::NotFound)
}

fn subject(id: i64) -> Option<String> {
    Some(format!("landing:{id}"))
}

/// What the editor of an existing page shows besides its form.
#[derive(Default)]
struct Extras {
    errors: FormErrors,
    image_error: Option<String>,
    code_form: CodeForm,
    code_errors: FormErrors,
}

async fn editor(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    page: &landing_page::Model,
    form: &LandingForm,
    extras: Extras,
    status: StatusCode,
) -> AppResult<Response> {
    let rec = campaign(state, page.petition_id).await?;
    let image = match page.image_id {
        Some(id) => landing::image_meta(&state.db.read, id).await?.map(|m| HeroImage {
            path: m.path(),
            width: m.width,
            height: m.height,
            alt: page.image_alt.clone().unwrap_or_default(),
        }),
        None => None,
    };
    let codes: Vec<CodeRow> = landing::codes_of(&state.db.read, page.id)
        .await?
        .into_iter()
        .map(|c| CodeRow {
            source: c.source.clone().unwrap_or_else(|| format!("qr-{}", c.code)),
            label: c.label.unwrap_or_default(),
            code: c.code,
        })
        .collect();
    // The page's own token (with its cookie when new): the upload form carries it in its address.
    let kit = PageKit::new(state, headers);
    let upload_action = format!(
        "/admin/landing/{}/image?{}",
        page.id,
        url::form_urlencoded::Serializer::new(String::new()).append_pair("csrf", &kit.csrf).finish()
    );
    let view = LandingEditor {
        chrome: kit.chrome(user),
        campaign_id: rec.petition.id,
        campaign_title: &rec.petition.title,
        existing: Some(ExistingLanding {
            id: page.id,
            status: status_name(page.status),
            image,
            image_error: extras.image_error,
            codes: &codes,
            code_form: &extras.code_form,
            code_errors: &extras.code_errors,
            upload_action,
        }),
        form,
        errors: &extras.errors,
    };
    let markup = landing_editor(&view);
    Ok(kit.page(status, markup))
}

fn new_editor(
    state: &AppState,
    user: &StaffUser,
    headers: &HeaderMap,
    rec: &PetitionRecord,
    form: &LandingForm,
    errors: &FormErrors,
    status: StatusCode,
) -> Response {
    let kit = PageKit::new(state, headers);
    let view = LandingEditor {
        chrome: kit.chrome(user),
        campaign_id: rec.petition.id,
        campaign_title: &rec.petition.title,
        existing: None,
        form,
        errors,
    };
    let markup = landing_editor(&view);
    kit.page(status, markup)
}

/// `GET /admin/campaigns/{id}/landing/new`.
pub(super) async fn new_form(
    State(state): State<AppState>,
    user: StaffUser,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let form =
        LandingForm { locale: rec.petition.locale.clone(), status: "draft".into(), ..LandingForm::default() };
    Ok(new_editor(&state, &user, &headers, &rec, &form, &FormErrors::new(), StatusCode::OK))
}

/// `POST /admin/campaigns/{id}/landing`.
pub(super) async fn create(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(id): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LandingForm>,
) -> AppResult<Response> {
    let rec = campaign(&state, id_of(&id)?).await?;
    let refused = |errors: &FormErrors| {
        new_editor(&state, &user, &headers, &rec, &form, errors, StatusCode::UNPROCESSABLE_ENTITY)
    };
    let page = match form.parse(false) {
        Ok(page) => page,
        Err(errors) => return Ok(refused(&errors)),
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let Some(landing_id) = landing::create_from(&txn, rec.petition.id, &page, now).await? else {
        return Ok(refused(&FormErrors::from([(
            "slug",
            "Another landing page has this address.".to_owned(),
        )])));
    };
    let entry = Audit {
        subject: subject(landing_id),
        detail: Some(format!(
            "/a/{} for petition {}, {}",
            page.slug,
            rec.petition.id,
            status_name(page.status)
        )),
        ..user.audit("landing.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/landing/{landing_id}"), Flash::LandingCreated))
}

/// `GET /admin/landing/{lid}`.
pub(super) async fn edit(
    State(state): State<AppState>,
    user: StaffUser,
    Path(lid): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let page = page_of(&state, &lid).await?;
    let form = LandingForm::from_model(&page);
    editor(&state, &user, &headers, &page, &form, Extras::default(), StatusCode::OK).await
}

/// `POST /admin/landing/{lid}`.
pub(super) async fn save(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(lid): Path<String>,
    headers: HeaderMap,
    Form(form): Form<LandingForm>,
) -> AppResult<Response> {
    let page = page_of(&state, &lid).await?;
    let refused = async |errors: FormErrors| {
        let extras = Extras { errors, ..Extras::default() };
        editor(&state, &user, &headers, &page, &form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let edited = match form.parse(page.image_id.is_some()) {
        Ok(edited) => edited,
        Err(errors) => return refused(errors).await,
    };
    if page.status != Status::Draft && edited.status == Status::Draft {
        let message =
            "A page that has been live cannot be a draft again (ads may link to it): retire it instead.";
        return refused(FormErrors::from([("status", message.to_owned())])).await;
    }
    if page.status != Status::Draft && edited.slug != page.slug {
        return refused(FormErrors::from([(
            "slug",
            "Fixed once the page has been live: ads link to it.".to_owned(),
        )]))
        .await;
    }
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    if !landing::save(&txn, page.id, &edited).await? {
        drop(txn);
        return refused(FormErrors::from([("slug", "Another landing page has this address.".to_owned())]))
            .await;
    }
    let entry = Audit {
        subject: subject(page.id),
        detail: Some(format!("/a/{}, {}", edited.slug, status_name(edited.status))),
        ..user.audit("landing.edited", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/landing/{}", page.id), Flash::Saved))
}

/// `POST /admin/landing/{lid}/image` (multipart, its token in the query): stores the image
/// cleaned, and makes it the page's hero.
pub(super) async fn upload_image(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(lid): Path<String>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> AppResult<Response> {
    let page = page_of(&state, &lid).await?;
    let (mut file, mut alt) = (Vec::new(), String::new());
    let mut unreadable = false;
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("image") => match field.bytes().await {
                    Ok(bytes) => file = bytes.to_vec(),
                    Err(_) => unreadable = true,
                },
                Some("alt") => alt = field.text().await.unwrap_or_default(),
                _ => {}
            },
            Ok(None) => break,
            Err(_) => {
                unreadable = true;
                break;
            }
        }
    }
    let alt = one_line(&alt);
    let refused = async |message: String| {
        let extras = Extras { image_error: Some(message), ..Extras::default() };
        let form = LandingForm::from_model(&page);
        editor(&state, &user, &headers, &page, &form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    if unreadable {
        return refused(UploadError::TooBig.to_string()).await;
    }
    if alt.is_empty() || alt.chars().count() > crate::domain::landing::ALT_MAX {
        return refused(
            "Say what the image shows (at most 300 characters), for people who cannot see it.".into(),
        )
        .await;
    }
    let cleaned = tokio::task::spawn_blocking(move || upload::clean(&file))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let image = match cleaned {
        Ok(image) => image,
        Err(e) => return refused(e.to_string()).await,
    };
    let now = Utc::now();
    let detail =
        format!("{} × {} {}, {} bytes", image.width, image.height, image.content_type, image.data.len());
    let size =
        (i32::try_from(image.width).unwrap_or(i32::MAX), i32::try_from(image.height).unwrap_or(i32::MAX));
    let txn = state.db.write.begin().await?;
    let image_id = landing::store_image(&txn, image.data, image.content_type, size, now).await?;
    landing::set_image(&txn, page.id, image_id, Some(&alt)).await?;
    let entry = Audit {
        subject: subject(page.id),
        detail: Some(detail),
        ..user.audit("landing.image", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/landing/{}#image", page.id), Flash::ImageSaved))
}

/// `POST /admin/landing/{lid}/codes`: a new short code for posters.
pub(super) async fn add_code(
    State(state): State<AppState>,
    user: StaffUser,
    ClientIp(ip): ClientIp,
    Path(lid): Path<String>,
    headers: HeaderMap,
    Form(code_form): Form<CodeForm>,
) -> AppResult<Response> {
    let page = page_of(&state, &lid).await?;
    let refused = async |code_errors: FormErrors, code_form: CodeForm| {
        let extras = Extras { code_errors, code_form, ..Extras::default() };
        let form = LandingForm::from_model(&page);
        editor(&state, &user, &headers, &page, &form, extras, StatusCode::UNPROCESSABLE_ENTITY).await
    };
    let (code, label, source) = match parse_code(&code_form) {
        Ok(parsed) => parsed,
        Err(errors) => return refused(errors, code_form).await,
    };
    let now = Utc::now();
    let txn = state.db.write.begin().await?;
    let created = landing::create_code(
        &txn,
        entity::short_code::ActiveModel {
            code: sea_orm::ActiveValue::Set(code.clone()),
            landing_page_id: sea_orm::ActiveValue::Set(page.id),
            source: sea_orm::ActiveValue::Set(source),
            label: sea_orm::ActiveValue::Set(label),
            created_at: sea_orm::ActiveValue::Set(now),
            ..Default::default()
        },
    )
    .await?;
    if !created {
        drop(txn);
        return refused(
            FormErrors::from([("code", "This code is taken; choose another.".to_owned())]),
            code_form,
        )
        .await;
    }
    let entry = Audit {
        subject: subject(page.id),
        detail: Some(format!("/q/{code}")),
        ..user.audit("code.created", Some(ip_hash(&state, ip)))
    };
    staff::audit(&txn, entry, now).await?;
    txn.commit().await?;
    Ok(flash_redirect(&state, &format!("/admin/landing/{}#codes", page.id), Flash::CodeAdded))
}
