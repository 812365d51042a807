//! `undersigned demo`: a sample campaign to look around with. Loading it twice changes nothing.

use chrono::Utc;
use entity::{landing_page, petition, short_code};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, TransactionTrait};

use crate::{
    config::Config,
    db::{
        landing,
        petitions::{self, NewPetition},
        share_texts,
    },
    domain::{FormFields, campaign::Recipient, raster::Raster},
    i18n::Locale,
};

pub const PETITION_SLUG: &str = "safe-staffing";
pub const LETTER_SLUG: &str = "letter-to-the-board";

/// Loads the demo campaign in one transaction and says what it did.
pub async fn load(db: &DatabaseConnection, config: &Config) -> Result<(), DbErr> {
    let now = Utc::now();
    let txn = db.begin().await?;
    let petition_id = petitions::create(
        &txn,
        NewPetition {
            slug: PETITION_SLUG.into(),
            kind: petition::Kind::Petition,
            status: petition::Status::Open,
            locale: "en".into(),
            title: "Safe staffing saves lives".into(),
            summary: "Tell Riverside Health: hire enough nurses and aides to keep every patient safe.".into(),
            body: "Nurses and aides at Riverside Health are caring for more patients than anyone safely can.\n\n\
                   We call on Riverside Health to agree enforceable staffing ratios, fill open positions \
                   within 90 days, and end mandatory overtime.\n\n\
                   Patients, families and neighbours stand with the people who care for us."
                .into(),
            goal: 10_000,
            postal_country: config.default_country.clone(),
            image_url: None,
            form_fields: FormFields::default(),
            updated_by: None,
            recipients: vec![],
        },
        now,
    )
    .await?;
    let letter_id = petitions::create(
        &txn,
        NewPetition {
            slug: LETTER_SLUG.into(),
            kind: petition::Kind::Letter,
            status: petition::Status::Open,
            locale: "en".into(),
            title: "Open letter to the Riverside Health board".into(),
            summary: "Health-care workers ask the board to come to the table on staffing.".into(),
            body: "Dear members of the board,\n\n\
                   We, the undersigned workers and supporters of Riverside Health, ask you to meet \
                   with our bargaining committee within 30 days to agree safe staffing standards.\n\n\
                   Our patients cannot wait.\n\nSincerely,"
                .into(),
            goal: 2_500,
            postal_country: config.default_country.clone(),
            image_url: None,
            form_fields: FormFields::default(),
            updated_by: None,
            recipients: vec![
                Recipient::new("Dana Whitfield", "Chief Executive Officer", "Riverside Health"),
                Recipient::new("Marcus Ortega", "Chair of the Board", "Riverside Health"),
            ],
        },
        now,
    )
    .await?;
    // Landing pages attach to the petition, whether it was created now or before.
    let target = match petition_id {
        Some(id) => Some(id),
        None => petitions::find_by_slug(&txn, PETITION_SLUG).await?.map(|r| r.petition.id),
    };
    // Share texts for a new petition: two English wordings that take turns, and a Spanish one.
    if let Some(pid) = petition_id {
        for (locale, text) in DEMO_SHARE_TEXTS {
            share_texts::create(&txn, pid, locale, text, None, now).await?;
        }
    }
    let mut pages = 0;
    if let Some(pid) = target {
        // The petition in Spanish too, for the Spanish ad and Spanish readers.
        petitions::translate(
            &txn,
            pid,
            "es",
            (
                "El personal suficiente salva vidas",
                "Dile a Riverside Health: contrata suficientes enfermeras y auxiliares para cuidar con \
                 seguridad a cada paciente.",
                "Las enfermeras y auxiliares de Riverside Health atienden a más pacientes de los que se \
                 puede cuidar con seguridad.\n\n\
                 Pedimos a Riverside Health que acuerde ratios de personal exigibles, cubra las vacantes \
                 en 90 días y acabe con las horas extra obligatorias.\n\n\
                 Pacientes, familias y vecinos apoyamos a quienes nos cuidan.",
            ),
        )
        .await?;
        for demo in LANDING_PAGES {
            let hero =
                hero(demo.colour).png().map_err(|e| DbErr::Custom(format!("drawing an image: {e}")))?;
            let image_id = landing::store_image(&txn, hero, "image/png", (1200, 630), now).await?;
            let created = landing::create(
                &txn,
                landing_page::ActiveModel {
                    slug: Set(demo.slug.into()),
                    petition_id: Set(pid),
                    locale: Set(demo.locale.into()),
                    headline: Set(demo.headline.into()),
                    body: Set(demo.body.into()),
                    image_url: Set(None),
                    created_at: Set(now),
                    status: Set(landing_page::Status::Live),
                    button_text: Set(Some(demo.button.into())),
                    video_url: Set(None),
                    source: Set(Some(demo.source.into())),
                    image_id: Set(Some(image_id)),
                    image_alt: Set(Some(demo.alt.into())),
                    ..Default::default()
                },
            )
            .await?;
            pages += usize::from(created);
            if let Some(landing) = landing::find_live(&txn, demo.slug).await? {
                landing::create_code(
                    &txn,
                    short_code::ActiveModel {
                        code: Set(demo.poster_code.into()),
                        landing_page_id: Set(landing.landing.id),
                        source: Set(None),
                        label: Set(Some(demo.poster_label.into())),
                        created_at: Set(now),
                        ..Default::default()
                    },
                )
                .await?;
            }
        }
    }
    txn.commit().await?;

    if petition_id.is_none() && letter_id.is_none() && pages == 0 {
        println!("The demo campaign is already loaded; nothing changed.");
    } else {
        println!("Loaded the demo campaign:");
    }
    println!("  petition:    {}", config.absolute(&format!("/p/{PETITION_SLUG}")));
    println!("  open letter: {}", config.absolute(&format!("/p/{LETTER_SLUG}")));
    for demo in LANDING_PAGES {
        println!("  ad landing page ({}): {}", demo.locale, config.absolute(&format!("/a/{}", demo.slug)));
        let poster = config.absolute(&format!("/q/{}", demo.poster_code));
        println!("    poster short link: {poster} (QR code: {poster}/qr.svg, {poster}/qr.png)");
    }
    println!(
        "Start the server with `cargo run --release` (or `undersigned serve`) and open {}",
        config.absolute("/")
    );
    Ok(())
}

/// The demo petition's share texts.
const DEMO_SHARE_TEXTS: [(Locale, &str); 3] = [
    (Locale::En, "Nurses can't keep patients safe when they're stretched this thin. I signed. Will you?"),
    (Locale::En, "Safe staffing saves lives. Stand with Riverside Health nurses and aides:"),
    (Locale::Es, "Con personal suficiente se salvan vidas. Yo ya firmé. ¿Y tú?"),
];

/// A demo ad landing page.
struct DemoLanding {
    slug: &'static str,
    locale: &'static str,
    headline: &'static str,
    body: &'static str,
    button: &'static str,
    source: &'static str,
    alt: &'static str,
    colour: [u8; 3],
    /// A poster's short code for this page, and where the poster hangs.
    poster_code: &'static str,
    poster_label: &'static str,
}

const LANDING_PAGES: [DemoLanding; 2] = [
    DemoLanding {
        slug: "staffing-nurses",
        locale: "en",
        headline: "Nurses are stretched too thin",
        body: "One nurse for eight patients is not safe. Add your name in 30 seconds.",
        button: "Stand with nurses",
        source: "meta",
        alt: "A white heart on a red background",
        colour: [179, 38, 30],
        poster_code: "station",
        poster_label: "Central Station poster",
    },
    DemoLanding {
        slug: "personal-seguro",
        locale: "es",
        headline: "Personal suficiente salva vidas",
        body: "Pide a Riverside Health más personal para cuidar bien a cada paciente. Firma en 30 segundos.",
        button: "Firmar ahora",
        source: "meta",
        alt: "Un corazón blanco sobre fondo azul",
        colour: [29, 78, 137],
        poster_code: "sala",
        poster_label: "Cartel de la sala de descanso",
    },
];

/// A 1200×630 share-card picture: a white heart on `colour`.
fn hero(colour: [u8; 3]) -> Raster {
    let mut r = Raster::filled(1200, 630, colour);
    // The heart curve (x² + y² − 1)³ − x²y³ ≤ 0, centred and scaled to the picture.
    r.paint([255, 255, 255], |x, y| {
        let fx = (f64::from(x) - 600.0) / 190.0;
        let fy = (315.0 - f64::from(y)) / 190.0 + 0.15;
        let a = fx * fx + fy * fy - 1.0;
        a * a * a - fx * fx * fy * fy * fy <= 0.0
    });
    r
}
