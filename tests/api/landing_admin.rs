//! Landing pages made in the admin: created with field errors said and values kept, live at
//! `/a/{slug}`, a hero image uploaded (refused when it is not an image, cleaned of what the
//! camera wrote when it is), and posters' short codes.

use std::io::Cursor;

use reqwest::{StatusCode, multipart};

use crate::{
    admin::{account, audit_actions, csrf_of, get, location, submit},
    helpers::spawn_app,
};

/// A JPEG photo of 400×300 whose EXIF block says where it was taken (as a camera's GPS block
/// would) and that it is to be shown turned a quarter.
fn photo_with_a_place() -> Vec<u8> {
    let mut plain = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_pixel(400, 300, image::Rgb([30, 120, 200])))
        .write_to(&mut Cursor::new(&mut plain), image::ImageFormat::Jpeg)
        .expect("a JPEG");
    let secret = b"GPS 37.7749N 122.4194W\0";
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend(2u16.to_be_bytes());
    tiff.extend([0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    tiff.extend([0x01, 0x0e, 0, 2]);
    tiff.extend(u32::try_from(secret.len()).expect("short").to_be_bytes());
    tiff.extend(38u32.to_be_bytes());
    tiff.extend(0u32.to_be_bytes());
    tiff.extend(secret);
    let mut app1 = b"Exif\0\0".to_vec();
    app1.extend(tiff);
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(u16::try_from(app1.len() + 2).expect("short").to_be_bytes());
    out.extend(app1);
    out.extend(&plain[2..]);
    out
}

#[tokio::test]
async fn a_landing_page_is_made_in_the_admin_with_a_clean_image_and_a_short_code() {
    let app = spawn_app().await;
    let id = app.open_petition("water").await;
    let organizer = account(&app, "org@example.org", "organizer").await;
    let new = format!("/admin/campaigns/{id}/landing/new");
    let create = format!("/admin/campaigns/{id}/landing");
    let (status, page) = get(&organizer, &app, &new).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(r#"action="/admin/campaigns/"#), "{page}");

    let res = submit(
        &organizer,
        &app,
        &new,
        &create,
        &[("slug", "Bad slug"), ("headline", "Kept"), ("locale", "en")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains(r##"href="#f-slug""##) && page.contains(r#"value="Kept""#), "{page}");

    let fields = [
        ("slug", "water-ad"),
        ("locale", "es"),
        ("headline", "¿Es segura el agua de tu escuela?"),
        ("body", "Firma **hoy**."),
        ("source", "meta"),
        ("status", "live"),
    ];
    let res = submit(&organizer, &app, &new, &create, &fields).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let edit = location(&res);
    assert!(edit.starts_with("/admin/landing/"), "{edit}");
    let public = app.get("/a/water-ad").await;
    assert_eq!(public.status(), StatusCode::OK);
    let public = public.text().await.expect("page");
    assert!(
        public.contains("¿Es segura el agua de tu escuela?") && public.contains("<strong>hoy</strong>"),
        "{public}"
    );
    assert!(
        !public.contains("**") && public.contains(r#"content="Firma hoy.""#),
        "a share card without Markdown: {public}"
    );
    let res = submit(&organizer, &app, &new, &create, &fields).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "the address is taken");

    // The image: its form carries the token in its address.
    let (_, page) = get(&organizer, &app, &edit).await;
    let csrf = csrf_of(&page);
    let upload = |bytes: Vec<u8>, name: &'static str, alt: &'static str, csrf: String| {
        let form = multipart::Form::new()
            .part("image", multipart::Part::bytes(bytes).file_name(name))
            .text("alt", alt);
        organizer.post(app.url(&format!("{edit}/image?csrf={csrf}"))).multipart(form).send()
    };
    let res =
        upload(b"MZ not a picture".to_vec(), "photo.jpg", "A fountain", csrf.clone()).await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("not a PNG, JPEG or WebP"));
    let res = upload(photo_with_a_place(), "photo.jpg", " ", csrf.clone()).await.expect("sent");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Say what the image shows"));
    let res = upload(photo_with_a_place(), "photo.jpg", "A fountain", "forged".into()).await.expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = upload(photo_with_a_place(), "photo.jpg", "A school fountain", csrf).await.expect("sent");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    // Pages are read again within a second.
    let mut image_path = None;
    for _ in 0..40 {
        let page = app.get("/a/water-ad").await.text().await.expect("page");
        image_path = page
            .split("src=\"")
            .skip(1)
            .find_map(|s| s.split('"').next().filter(|p| p.starts_with("/images/")).map(str::to_owned));
        if image_path.is_some() {
            assert!(page.contains(r#"alt="A school fountain""#), "{page}");
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let image_path = image_path.expect("the page shows the image");
    let served = app.get(&image_path).await.bytes().await.expect("the image");
    assert!(
        !served.windows(5).any(|w| w == b"37.77") && !served.windows(4).any(|w| w == b"Exif"),
        "no metadata"
    );
    let decoded = image::load_from_memory(&served).expect("an image");
    assert_eq!((decoded.width(), decoded.height()), (300, 400), "upright");

    // A poster's short code.
    let codes = format!("{edit}/codes");
    let res =
        submit(&organizer, &app, &edit, &codes, &[("code", "Ward3"), ("label", "3 West break room")]).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/q/ward3").await.status(), StatusCode::OK);
    let res = submit(&organizer, &app, &edit, &codes, &[("code", "ward3"), ("label", "again")]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains("This code is taken") && page.contains(r#"value="again""#), "{page}");
    let (_, page) = get(&organizer, &app, &edit).await;
    assert!(page.contains("/q/ward3/qr.svg") && page.contains("3 West break room"), "{page}");
    let (_, campaign) = get(&organizer, &app, &format!("/admin/campaigns/{id}")).await;
    assert!(campaign.contains("/a/water-ad"), "the campaign lists its landing pages");

    // Once live, the address stays.
    let moved = [
        ("slug", "water-2"),
        ("locale", "es"),
        ("headline", "x"),
        ("status", "live"),
        ("image_alt", "A school fountain"),
    ];
    let res = submit(&organizer, &app, &edit, &edit, &moved).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("Fixed once the page has been live"));

    // Nor does it go back to being a draft (retired, yes).
    let back = [
        ("slug", "water-ad"),
        ("locale", "es"),
        ("headline", "x"),
        ("status", "draft"),
        ("image_alt", "A school fountain"),
    ];
    let res = submit(&organizer, &app, &edit, &edit, &back).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("retire it instead"));
    let retired = [("slug", "water-ad"), ("locale", "es"), ("headline", "x"), ("status", "retired")];
    assert_eq!(submit(&organizer, &app, &edit, &edit, &retired).await.status(), StatusCode::SEE_OTHER);

    let actions: Vec<String> = audit_actions(&app).await.into_iter().map(|(_, a, _)| a).collect();
    for action in ["landing.created", "landing.image", "code.created"] {
        assert_eq!(actions.iter().filter(|a| *a == action).count(), 1, "{action}: {actions:?}");
    }
}
