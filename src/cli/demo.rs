//! `undersigned demo`: a sample campaign to look around with. Loading it twice changes nothing.

use chrono::Utc;
use entity::{landing_page, petition};
use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, TransactionTrait};

use crate::{
    config::Config,
    db::petitions::{self, NewPetition},
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
            recipients: vec![
                ("Dana Whitfield".into(), "Chief Executive Officer".into(), "Riverside Health".into()),
                ("Marcus Ortega".into(), "Chair of the Board".into(), "Riverside Health".into()),
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
    let mut pages = 0;
    if let Some(pid) = target {
        for (slug, locale, headline, body) in [
            (
                "staffing-nurses",
                "en",
                "Nurses are stretched too thin",
                "One nurse for eight patients is not safe. Add your name in 30 seconds.",
            ),
            (
                "personal-seguro",
                "es",
                "Personal suficiente salva vidas",
                "Pide a Riverside Health más personal para cuidar bien a cada paciente. Firma en 30 segundos.",
            ),
        ] {
            let created = petitions::create_landing_page(
                &txn,
                landing_page::ActiveModel {
                    slug: Set(slug.into()),
                    petition_id: Set(pid),
                    locale: Set(locale.into()),
                    headline: Set(headline.into()),
                    body: Set(body.into()),
                    image_url: Set(None),
                    created_at: Set(now),
                    ..Default::default()
                },
            )
            .await?;
            pages += usize::from(created);
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
    println!(
        "Start the server with `cargo run --release` (or `undersigned serve`) and open {}",
        config.absolute("/")
    );
    Ok(())
}
