//! What a person does, in real headless Chromium at a phone's viewport (390×844), driven over
//! WebDriver. Without Chromium and ChromeDriver these tests say they were skipped and how to
//! run them; with `UNDERSIGNED_REQUIRE_BROWSER=1` (as in CI) a missing browser is a failure.

use std::{
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use serde_json::json;

use entity::petition::{Kind, Status};

use crate::helpers::{TestApp, exported_emails, free_port, spawn_app};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// One browser (its own ChromeDriver and profile) for one test.
struct Browser {
    client: Client,
    javascript: bool,
    driver: Child,
    name: &'static str,
    _profile: TempDir,
}

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn tool(env: &str, default: &str) -> Option<PathBuf> {
    let path = std::env::var(env).map(PathBuf::from).unwrap_or_else(|_| PathBuf::from(default));
    path.exists().then_some(path)
}

/// Starts a browser, or returns `None` (having said so) when none is installed.
async fn browser(name: &'static str, javascript: bool) -> Option<Browser> {
    let (Some(chromium), Some(chromedriver)) =
        (tool("CHROMIUM", CHROMIUM), tool("CHROMEDRIVER", CHROMEDRIVER))
    else {
        if std::env::var("UNDERSIGNED_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
            panic!("browser tests are required but {CHROMIUM} or {CHROMEDRIVER} is missing");
        }
        eprintln!(
            "SKIPPED browser test {name}: Chromium not found. Install it with \
             `apt-get install chromium chromium-driver` (or set CHROMIUM and CHROMEDRIVER) and run `cargo test` again."
        );
        return None;
    };
    let port = free_port();
    let driver = Command::new(chromedriver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver starts");
    let profile =
        TempDir(std::env::temp_dir().join(format!("undersigned-chromium-{}", uuid::Uuid::new_v4().simple())));
    let args = vec![
        "--headless".to_owned(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--no-first-run".into(),
        "--disable-dev-shm-usage".into(),
        "--window-size=390,844".into(),
        format!("--user-data-dir={}", profile.0.display()),
    ];
    let mut options = json!({
        "binary": chromium,
        "args": args,
        "mobileEmulation": {
            "deviceMetrics": { "width": 390, "height": 844, "pixelRatio": 2.0, "touch": true },
            "userAgent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36"
        }
    });
    if !javascript {
        options["prefs"] = json!({ "profile.managed_default_content_settings.javascript": 2 });
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // Keep the console, so tests can check that no page logs an error.
    caps.insert("goog:loggingPrefs".into(), json!({ "browser": "ALL" }));
    // No WebDriver command may hang a test run.
    caps.insert("timeouts".into(), json!({ "pageLoad": 20_000, "script": 10_000, "implicit": 0 }));
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let webdriver = format!("http://127.0.0.1:{port}");
    let mut last_err = String::new();
    for _ in 0..100 {
        match ClientBuilder::new(connector.clone()).capabilities(caps.clone()).connect(&webdriver).await {
            Ok(client) => return Some(Browser { client, javascript, driver, name, _profile: profile }),
            Err(e) => last_err = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("could not start a browser session: {last_err}");
}

/// ChromeDriver's (non-W3C) browser log: the console messages since the last read.
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (axum::http::Method, Option<String>) {
        (axum::http::Method::POST, Some(r#"{"type":"browser"}"#.to_owned()))
    }
}

/// The axe-core script (npm package `axe-core`): `AXE_CORE`, or `node_modules/axe-core/axe.min.js`
/// in the project. Missing, the accessibility checks are skipped with a hint, or fail where
/// browsers are required.
fn axe_source() -> Option<String> {
    let path = std::env::var("AXE_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| Path::new(env!("CARGO_MANIFEST_DIR")).join("node_modules/axe-core/axe.min.js"));
    match std::fs::read_to_string(&path) {
        Ok(s) => Some(s),
        Err(_) if std::env::var("UNDERSIGNED_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
            panic!(
                "accessibility checks are required but {} is missing (npm install axe-core)",
                path.display()
            )
        }
        Err(_) => {
            eprintln!(
                "SKIPPED accessibility checks: {} not found. Install it with `npm install --no-save axe-core` \
                 in the project folder (or set AXE_CORE) and run `cargo test browser` again.",
                path.display()
            );
            None
        }
    }
}

/// Where screenshots go: `<target>/screenshots/`.
fn screenshot_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap_or(Path::new(".")).join("screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

impl Browser {
    /// Runs a test body with a time limit; on failure the page as it was is saved as
    /// `<name>-failure.png` before the test fails.
    async fn run(&self, body: impl Future<Output = ()>) {
        let outcome =
            tokio::time::timeout(Duration::from_secs(90), AssertUnwindSafe(body).catch_unwind()).await;
        let failed = !matches!(outcome, Ok(Ok(())));
        if failed && let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(screenshot_dir().join(format!("{}-failure.png", self.name)), png);
        }
        match outcome {
            Ok(Ok(())) => {}
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => panic!("browser test {} took over 90 s", self.name),
        }
    }

    async fn shot(&self, page: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let path = screenshot_dir().join(format!("{}-{page}.png", self.name));
        std::fs::write(&path, png).expect("screenshot written");
    }

    async fn fill(&self, field: &str, value: &str) {
        let el = self.client.find(Locator::Css(&format!("#f-{field}"))).await.expect("field is there");
        el.clear().await.expect("cleared");
        el.send_keys(value).await.expect("typed");
    }

    async fn attr(&self, css: &str, attr: &str) -> Option<String> {
        self.client.find(Locator::Css(css)).await.expect("element is there").attr(attr).await.expect("attr")
    }

    async fn value(&self, field: &str) -> String {
        let el = self.client.find(Locator::Css(&format!("#f-{field}"))).await.expect("field is there");
        el.prop("value").await.expect("value").unwrap_or_default()
    }

    async fn text(&self, css: &str) -> String {
        self.client.find(Locator::Css(css)).await.expect("element is there").text().await.expect("text")
    }

    /// Submits the form and waits until the next page has loaded (its URL differs). With
    /// JavaScript on, by tapping the button; with it off, by pressing Enter (a phone keyboard's
    /// "Go") in the last field, because ChromeDriver's element click needs script to run.
    async fn submit(&self) {
        let from = self.path().await;
        if self.javascript {
            let button =
                self.client.find(Locator::Css("form#sign button[type=submit]")).await.expect("button");
            button.click().await.expect("clicked");
        } else {
            let field = self.client.find(Locator::Css("#f-postal_code")).await.expect("field is there");
            field.send_keys("\u{E007}").await.expect("Enter pressed");
        }
        for _ in 0..200 {
            if self.path().await != from {
                // The URL changes when the response starts; let the page finish loading.
                let _ = self.client.wait().for_element(Locator::Css("footer.site")).await;
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("submitting the form did not load a new page");
    }

    /// Taps the button `css` and waits until the next page shows `then` (an element the page
    /// before did not have).
    async fn press(&self, css: &str, then: &str) {
        self.client.find(Locator::Css(css)).await.expect("button").click().await.expect("clicked");
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(then))
            .await
            .unwrap_or_else(|e| panic!("pressing {css} did not show {then}: {e}"));
    }

    /// What the browser console has logged since the last call, as (level, message).
    async fn console(&self) -> Vec<(String, String)> {
        let log = self.client.issue_cmd(BrowserLog).await.expect("the browser log");
        log.as_array()
            .map(|entries| {
                entries
                    .iter()
                    .map(|e| {
                        (
                            e["level"].as_str().unwrap_or("").to_owned(),
                            e["message"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs axe-core on the page: WCAG 2.0–2.2 A and AA rules. Returns each violation as
    /// `rule: element, element`.
    async fn axe(&self, source: &str) -> Vec<String> {
        self.client.execute(source, vec![]).await.expect("axe-core loads");
        let script = "const done = arguments[arguments.length - 1];
            axe.run(document, { runOnly: { type: 'tag', values:
                ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })
              .then(r => done(r.passes.length === 0 ? ['axe checked nothing'] :
                r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
              .catch(e => done(['axe failed: ' + e]));";
        let found = self.client.execute_async(script, vec![]).await.expect("axe-core runs");
        found
            .as_array()
            .map(|v| v.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_else(|| vec![format!("unexpected axe answer: {found}")])
    }

    async fn path(&self) -> String {
        self.client.current_url().await.expect("url").path().to_owned()
    }

    async fn close(mut self) {
        let client = self.client.clone();
        client.close().await.expect("session closed");
        let _ = self.driver.kill();
    }
}

/// The thanks page's copy button: shown by the script, and copying says so; without the script
/// the link is a field to select and there is no button that would do nothing.
async fn copy_button(b: &Browser) {
    let copy = b.client.find(Locator::Css("button[data-copy]")).await.expect("the button is in the page");
    let shown = copy.is_displayed().await.expect("displayed?");
    if !b.javascript {
        assert!(!shown, "no copy button without JavaScript");
        return;
    }
    assert!(shown, "the script shows the button");
    copy.click().await.expect("clicked");
    let mut said = String::new();
    for _ in 0..40 {
        said = b.text("#copy-status").await;
        if !said.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(said, "Link copied");
}

/// From an ad-style link to the thanks page, signing as a person would.
async fn sign_from_an_ad(app: &TestApp, b: &Browser) {
    app.open_petition("phone").await;
    b.client
        .goto(&app.url("/p/phone?utm_source=facebook&utm_medium=paid&utm_campaign=nov&fbclid=CLICK"))
        .await
        .expect("page loads");
    assert_eq!(b.text("h1").await, "Title of phone");
    assert_eq!(b.text(".tally").await, "0 signatures");
    b.shot("petition").await;
    b.fill("given_name", "Ana").await;
    b.fill("family_name", "Ruiz").await;
    b.fill("email", "ana.phone@example.org").await;
    b.fill("postal_code", "94110").await;
    b.submit().await;
    assert_eq!(b.path().await, "/p/phone/thanks");
    assert_eq!(b.text("h1").await, "Thank you for signing!");
    assert_eq!(b.text(".tally").await, "1 signature");
    let link = b.attr("#personal-link", "value").await.unwrap_or_default();
    assert!(link.starts_with("http://localhost:3000/p/phone?ref="), "{link}");
    copy_button(b).await;
    b.shot("thanks").await;
    assert_eq!(app.count("phone").await, 1);
    assert_eq!(exported_emails(app, "phone"), ["ana.phone@example.org"]);
    let csv = String::from_utf8(app.cli(&["export", "--petition", "phone"]).stdout).expect("utf-8");
    assert!(csv.contains(",facebook,paid,nov,") && !csv.contains("CLICK"), "{csv}");
}

#[tokio::test]
async fn browser_signs_from_an_ad_link() {
    let Some(b) = browser("ad-link", true).await else { return };
    let app = spawn_app().await;
    b.run(sign_from_an_ad(&app, &b)).await;
    b.close().await;
}

#[tokio::test]
async fn browser_signs_with_javascript_disabled() {
    let Some(b) = browser("no-js", false).await else { return };
    let app = spawn_app().await;
    b.run(async {
        // Script really is off in this browser.
        b.client
            .goto("data:text/html,<title>off</title><script>document.title='on'</script>")
            .await
            .expect("loads");
        assert_eq!(b.client.title().await.expect("title"), "off");
        sign_from_an_ad(&app, &b).await;
    })
    .await;
    b.close().await;
}

#[tokio::test]
async fn browser_shows_an_invalid_email_beside_its_field() {
    let Some(b) = browser("invalid-email", true).await else { return };
    let app = spawn_app().await;
    b.run(fix_an_invalid_email(&app, &b)).await;
    b.close().await;
}

/// A typo in the email: the error sits beside the field, the rest is kept, fixing it signs.
async fn fix_an_invalid_email(app: &TestApp, b: &Browser) {
    app.open_petition("oops").await;
    b.client.goto(&app.url("/p/oops")).await.expect("page loads");
    b.shot("petition").await;
    b.fill("given_name", "Ana María").await;
    b.fill("family_name", "Ruiz").await;
    b.fill("email", "ana.example.org").await;
    b.fill("postal_code", "94110").await;
    b.fill("phone", "415 555 0100").await;
    b.submit().await;
    assert_eq!(b.path().await, "/p/oops/sign");
    assert!(b.text("#e-email").await.contains("Please enter an email address like name@example.com."));
    assert_eq!(b.attr("#f-email", "aria-describedby").await.as_deref(), Some("e-email"));
    assert_eq!(b.attr("#f-email", "aria-invalid").await.as_deref(), Some("true"));
    // Focus lands on the field to fix.
    let focused = b.client.active_element().await.expect("focus").attr("id").await.expect("id");
    assert_eq!(focused.as_deref(), Some("f-email"));
    // Everything typed is still there.
    assert_eq!(b.value("given_name").await, "Ana María");
    assert_eq!(b.value("family_name").await, "Ruiz");
    assert_eq!(b.value("email").await, "ana.example.org");
    assert_eq!(b.value("postal_code").await, "94110");
    assert_eq!(b.value("phone").await, "415 555 0100");
    assert!(b.text(".summary").await.contains("Please fix the highlighted fields."));
    b.shot("invalid").await;
    // Fixing it goes through.
    b.fill("email", "ana@example.org").await;
    b.submit().await;
    assert_eq!(b.path().await, "/p/oops/thanks");
    assert_eq!(b.text(".tally").await, "1 signature");
    b.shot("thanks").await;
    assert_eq!(app.count("oops").await, 1);
}

/// Every page type, in English and in Spanish, at phone size: axe-core finds no WCAG 2.2 A/AA
/// violation, and the console logs no error (a missing icon, a refused resource, a script error).
#[tokio::test]
async fn browser_every_page_type_is_accessible_and_logs_no_error() {
    let Some(b) = browser("pages", true).await else { return };
    let axe = axe_source();
    let app = spawn_app().await;
    b.run(async {
        app.open_petition("pages").await;
        app.petition("carta", Kind::Letter, Status::Open, "es").await;
        app.petition("shut", Kind::Petition, Status::Closed, "en").await;
        assert!(app.cli(&["demo"]).status.success());
        let mut checked = 0;
        for lang in ["en", "es"] {
            // The switch sets the language for the rest of the visit.
            let visits: [(&str, &str); 7] = [
                ("home", "/"),
                ("landing", "/a/personal-seguro"),
                ("petition", "/p/pages"),
                ("letter", "/p/carta"),
                ("closed", "/p/shut"),
                ("not-found", "/p/nowhere"),
                ("invalid", "/p/pages"),
            ];
            for (name, path) in visits {
                b.client.goto(&app.url(&format!("{path}?lang={lang}"))).await.expect("page loads");
                if name == "invalid" {
                    b.fill("email", "not-an-email").await;
                    b.submit().await;
                }
                check_page(&b, axe.as_deref(), &format!("{name}-{lang}"), lang).await;
                checked += 1;
            }
            // Signing, then the thanks page.
            b.client.goto(&app.url(&format!("/p/pages?lang={lang}"))).await.expect("page loads");
            b.fill("given_name", "Ana").await;
            b.fill("family_name", "Ruiz").await;
            b.fill("email", &format!("ana.{lang}@example.org")).await;
            b.fill("postal_code", "94110").await;
            b.submit().await;
            assert_eq!(b.path().await, "/p/pages/thanks");
            check_page(&b, axe.as_deref(), &format!("thanks-{lang}"), lang).await;
            checked += 1;
        }
        assert_eq!(checked, 16);
    })
    .await;
    b.close().await;
}

/// Staff pages in a real browser: the first-run setup link creates the admin, who lands on the
/// admin home; the audit log and the sign-in page; each checked with axe and for console errors.
#[tokio::test]
async fn browser_staff_set_up_with_the_link_and_staff_pages_are_accessible() {
    let Some(b) = browser("staff", true).await else { return };
    let axe = axe_source();
    let app = spawn_app().await;
    b.run(async {
        let link = app.setup_link.clone().expect("a setup link");
        b.client.goto(&app.url(link.trim_start_matches("http://localhost:3000"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-setup", "en").await;
        b.fill("email", "boss@example.org").await;
        b.fill("password", "a long staff passphrase").await;
        b.fill("password_again", "a long staff passphrase").await;
        b.submit().await;
        assert_eq!(b.path().await, "/admin");
        check_page(&b, axe.as_deref(), "staff-home", "en").await;
        b.client.goto(&app.url("/admin/audit")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-audit", "en").await;
        b.client.goto(&app.url("/admin/staff")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-accounts", "en").await;
        b.client.goto(&app.url("/admin/tokens")).await.expect("page loads");
        b.fill("name", "Spreadsheet").await;
        b.press("form.edit button[type=submit]", "#new-token").await;
        check_page(&b, axe.as_deref(), "staff-tokens", "en").await;
        b.client.goto(&app.url("/api/v1/docs")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "api-docs", "en").await;

        // A petition, from an empty editor to signed by the public.
        b.client.goto(&app.url("/admin/campaigns/new")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-editor", "en").await;
        b.fill("slug", "clean-water").await;
        b.fill("title", "Clean water for every school").await;
        b.fill("summary", "Tell the district to test and fix every fountain.").await;
        b.fill(
            "body",
            "Our children drink from fountains nobody has tested.\n\n**Test them all** this year.",
        )
        .await;
        b.fill("goal", "300").await;
        b.press("form.edit button[name=publish]", ".flash").await;
        assert!(b.text(".flash").await.contains("Published"));
        let edit = b.path().await;
        assert!(edit.starts_with("/admin/campaigns/"), "{edit}");
        check_page(&b, axe.as_deref(), "staff-campaign", "en").await;
        b.client.goto(&app.url(&format!("{edit}/preview?lang=es"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-preview", "es").await;
        assert_eq!(b.text("h1").await, "Clean water for every school");

        // Its ad's landing page, made in the admin too; the public signs there.
        b.client.goto(&app.url(&format!("{edit}/landing/new"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-landing-new", "en").await;
        b.fill("slug", "water-ad").await;
        b.fill("headline", "Is your school's water safe?").await;
        let status = b.client.find(Locator::Css("#f-status")).await.expect("the status");
        status.select_by_value("live").await.expect("chosen");
        b.press("form.edit button[type=submit]", ".flash").await;
        check_page(&b, axe.as_deref(), "staff-landing", "en").await;
        b.client.goto(&app.url("/a/water-ad")).await.expect("page loads");
        assert_eq!(b.text("h1").await, "Is your school's water safe?");
        assert_eq!(b.text(".tally").await, "0 signatures");
        b.fill("given_name", "Luz").await;
        b.fill("family_name", "Martín").await;
        b.fill("email", "luz@example.org").await;
        b.fill("postal_code", "94110").await;
        b.submit().await;
        assert_eq!(b.path().await, "/p/clean-water/thanks");
        assert_eq!(b.text(".tally").await, "1 signature");
        b.client.goto(&app.url("/admin")).await.expect("page loads");
        let row = b.text("tbody tr").await;
        assert!(row.contains("Clean water for every school") && row.contains("open"), "{row}");
        b.client.goto(&app.url(&format!("{edit}/dashboard"))).await.expect("page loads");
        let total = b.text("ul.stats li").await;
        assert!(total.starts_with('1') && total.ends_with("signature"), "{total}");
        check_page(&b, axe.as_deref(), "staff-dashboard", "en").await;
        b.press("#alerts button[type=submit]", ".flash").await;
        assert!(b.text(".flash").await.contains("Goal emails on"));
        check_page(&b, axe.as_deref(), "staff-dashboard-alerts", "en").await;
        b.client.goto(&app.url(&format!("{edit}/review"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-review", "en").await;
        // The outbox, with an email in it (no mail server here).
        let email = undersigned::db::mail::NewEmail {
            kind: "goal.reached",
            petition_id: None,
            to: "boss@example.org".into(),
            subject: "“Clean water” passed 25% of its goal".into(),
            text: "Clean water has 75 signatures.\n\nDashboard: http://localhost:3000/admin".into(),
            html: None,
            delivery_id: None,
            unsubscribe_token: None,
        };
        undersigned::db::mail::enqueue(&app.db.write, vec![email], chrono::Utc::now())
            .await
            .expect("written");
        b.client.goto(&app.url("/admin/outbox")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-outbox", "en").await;
        b.press("tbody a", "pre.email").await;
        assert!(b.text("pre.email").await.contains("75 signatures"));
        check_page(&b, axe.as_deref(), "staff-email", "en").await;
        b.client.goto(&app.url(&format!("{edit}/deliveries"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-deliveries", "en").await;
        b.press("form.edit button[type=submit]", "code.digest").await;
        assert!(b.path().await.starts_with("/d/"));
        assert!(b.text(".tally").await.starts_with("1 signature as of"));
        check_page(&b, axe.as_deref(), "delivery-record", "en").await;
        let record = b.path().await;
        b.client.goto(&app.url(&format!("{record}/packet"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "delivery-packet", "en").await;
        // A schedule, and the daily update.
        b.client.goto(&app.url(&format!("{edit}/deliveries"))).await.expect("page loads");
        b.fill("every", "").await;
        b.press("form[action$='/schedules'] button[type=submit]", "#e-schedule").await;
        check_page(&b, axe.as_deref(), "staff-deliveries-schedule-error", "en").await;
        b.fill("every", "100").await;
        b.press("form[action$='/schedules'] button[type=submit]", ".flash").await;
        assert!(b.text("#schedules + p + ul").await.contains("every 100 signatures"));
        b.press(
            "form[action$='/recipient-digest'] button",
            "form[action$='/recipient-digest'] input[value='0']",
        )
        .await;
        assert!(b.text(".flash").await.contains("Daily updates on"));
        check_page(&b, axe.as_deref(), "staff-deliveries-schedules", "en").await;
        // Paper signatures: a row with a mistake, then right.
        b.client.goto(&app.url(&format!("{edit}/paper"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-paper", "en").await;
        b.fill("source", "Library table").await;
        b.fill("r0_given_name", "Rosa").await;
        b.fill("r0_family_name", "Parks").await;
        b.press("form.edit > button[type=submit]", "#e-r0_postal_code").await;
        check_page(&b, axe.as_deref(), "staff-paper-errors", "en").await;
        b.fill("r0_postal_code", "94110").await;
        // By keyboard this time: Enter on the button.
        let enter = b.client.find(Locator::Css("form.edit > button[type=submit]")).await.expect("the button");
        enter.send_keys("\u{E007}").await.expect("Enter pressed");
        b.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(".flash"))
            .await
            .expect("entered");

        assert!(b.text("#batches + div").await.contains("Library table"));
        check_page(&b, axe.as_deref(), "staff-paper-entered", "en").await;
        b.client.goto(&app.url(&format!("{edit}/export"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-export", "en").await;
        // The form's download, fetched by the page with the browser's own session.
        let got = b
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 const form = document.querySelector('form.edit');
                 const url = form.action + '?' + new URLSearchParams(new FormData(form)).toString();
                 fetch(url).then(r => r.arrayBuffer().then(buf => done([
                   r.headers.get('content-disposition'),
                   Array.from(new Uint8Array(buf.slice(0, 3))).join(','),
                   new TextDecoder().decode(buf)])))
                 .catch(e => done(['failed: ' + e, '', '']));",
                vec![],
            )
            .await
            .expect("the download is fetched");
        let got: Vec<String> = serde_json::from_value(got).expect("three strings");
        assert!(got[0].starts_with("attachment; filename=\"clean-water-signatures-"), "{got:?}");
        assert_eq!(got[1], "239,187,191", "UTF-8 with a byte order mark");
        assert!(got[2].contains("luz@example.org") && got[2].contains("Martín"), "{got:?}");
        b.client.goto(&app.url(&format!("{edit}/signatures"))).await.expect("page loads");
        assert!(b.text("tbody").await.contains("luz@example.org"));
        check_page(&b, axe.as_deref(), "staff-signatures", "en").await;
        b.client
            .goto(&app.url(&format!("{edit}/signatures/invalidate?domain=example.org")))
            .await
            .expect("page loads");
        check_page(&b, axe.as_deref(), "staff-invalidate", "en").await;
        b.fill("reason", "a test signature").await;
        b.press("form.edit button[type=submit]", ".flash").await;
        assert!(b.text(".flash").await.contains("Invalidated"));
        // Held signatures and shared sites: a refused site, then one added.
        b.client.goto(&app.url(&format!("{edit}/signatures/release"))).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-release", "en").await;
        b.fill("site_network", "10.0.0.0/8").await;
        b.fill("site_label", "Everyone").await;
        b.press("#sites form.edit button[type=submit]", "#e-site_network").await;
        check_page(&b, axe.as_deref(), "staff-site-error", "en").await;
        b.fill("site_network", "203.0.113.0/24").await;
        b.press("#sites form.edit button[type=submit]", ".flash").await;
        assert!(b.text("#sites tbody").await.contains("203.0.113.0/24"));
        check_page(&b, axe.as_deref(), "staff-site-added", "en").await;
        // Deleting a supporter who asked: found, refused without the box ticked, then deleted.
        b.client.goto(&app.url("/admin/supporters")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-supporters", "en").await;
        b.fill("email", "Luz@Example.org").await;
        b.press("form[action='/admin/supporters/find'] button", "#found").await;
        check_page(&b, axe.as_deref(), "staff-supporter-found", "en").await;
        b.press("form[action$='/erase'] button", "#e-confirm").await;
        check_page(&b, axe.as_deref(), "staff-supporter-unticked", "en").await;
        b.client.find(Locator::Css("#f-confirm")).await.expect("the box").click().await.expect("ticked");
        b.press("form[action$='/erase'] button", ".flash").await;
        assert!(b.text(".flash").await.contains("still count"));
        check_page(&b, axe.as_deref(), "staff-supporter-deleted", "en").await;
        b.client.goto(&app.url("/admin/login")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "staff-login", "en").await;
    })
    .await;
    b.close().await;
}

async fn check_page(b: &Browser, axe: Option<&str>, name: &str, lang: &str) {
    let html_lang = b.attr("html", "lang").await;
    assert_eq!(html_lang.as_deref(), Some(lang), "{name}");
    b.shot(name).await;
    // The document's own status (a 404 page, a 422 form) is reported too; that one is meant.
    let own = b.client.current_url().await.expect("url").to_string();
    let errors: Vec<(String, String)> = b
        .console()
        .await
        .into_iter()
        .filter(|(level, message)| (level == "SEVERE" || level == "ERROR") && !message.starts_with(&own))
        .collect();
    assert!(errors.is_empty(), "{name}: the console logged errors: {errors:?}");
    if let Some(axe) = axe {
        let violations = b.axe(axe).await;
        assert!(violations.is_empty(), "{name}: accessibility violations: {violations:#?}");
    }
}

/// From a Spanish ad's landing page on a phone to the thanks page, which shares the landing page.
#[tokio::test]
async fn browser_signs_on_a_landing_page() {
    let Some(b) = browser("landing", true).await else { return };
    let app = spawn_app().await;
    b.run(async {
        assert!(app.cli(&["demo"]).status.success());
        b.client
            .goto(&app.url("/a/personal-seguro?utm_source=instagram&utm_campaign=otono&fbclid=CLICK"))
            .await
            .expect("page loads");
        assert_eq!(b.text("h1").await, "Personal suficiente salva vidas");
        assert_eq!(b.attr("html", "lang").await.as_deref(), Some("es"));
        // The hero image loaded, at its own size.
        let loaded = b
            .client
            .execute(
                "const i = document.querySelector('.hero img'); return i.complete && i.naturalWidth;",
                vec![],
            )
            .await
            .expect("script runs");
        assert_eq!(loaded.as_i64(), Some(1200));
        b.shot("landing").await;
        b.fill("given_name", "María").await;
        b.fill("family_name", "López").await;
        b.fill("email", "maria.lopez@example.org").await;
        b.fill("postal_code", "94110").await;
        b.submit().await;
        assert_eq!(b.path().await, "/p/safe-staffing/thanks");
        assert_eq!(b.text("h1").await, "¡Gracias por firmar!");
        let link = b.attr("#personal-link", "value").await.unwrap_or_default();
        assert!(link.starts_with("http://localhost:3000/a/personal-seguro?ref="), "{link}");
        b.shot("thanks").await;
        let csv =
            String::from_utf8(app.cli(&["export", "--petition", "safe-staffing"]).stdout).expect("utf-8");
        assert!(
            csv.contains(",meta,,personal-seguro,instagram,,otono,,,") && !csv.contains("CLICK"),
            "{csv}"
        );
    })
    .await;
    b.close().await;
}

/// Stopping update emails from their link, in a browser: the page with the button (in the
/// letter's language, English and Spanish, for its recipient's daily update), the page after
/// pressing it, and a link that does not work; each checked with axe.
#[tokio::test]
async fn browser_stops_update_emails_from_their_link() {
    use undersigned::db::mail::{NewEmail, enqueue};
    let Some(b) = browser("unsubscribe", true).await else { return };
    let axe = axe_source();
    let app = spawn_app().await;
    b.run(async {
        let en = app.petition("letters", Kind::Letter, Status::Open, "en").await;
        let es = app.petition("cartas", Kind::Letter, Status::Open, "es").await;
        let cases = [
            (en, "letter.digest", "lettertokenlettertoken012345", "en"),
            (es, "letter.digest", "digesttokendigesttoken012345", "es"),
        ];
        for (id, kind, token, lang) in cases {
            let email = NewEmail {
                kind,
                petition_id: Some(id),
                to: "someone@example.org".into(),
                subject: "An update".into(),
                text: "An update".into(),
                html: None,
                delivery_id: None,
                unsubscribe_token: Some(token.into()),
            };
            enqueue(&app.db.write, vec![email], chrono::Utc::now()).await.expect("written");
            b.client.goto(&app.url(&format!("/unsubscribe/{token}"))).await.expect("page loads");
            check_page(&b, axe.as_deref(), &format!("unsubscribe-{lang}"), lang).await;
            b.press("main form button[type=submit]", "#stopped").await;
            check_page(&b, axe.as_deref(), &format!("unsubscribed-{lang}"), lang).await;
        }
        b.client.goto(&app.url("/unsubscribe/not-a-link")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "unsubscribe-unknown", "en").await;
    })
    .await;
    b.close().await;
}

/// Email confirmation in a browser, in English and Spanish: the thanks page that says to look
/// for the email, the page its link opens, the button that counts the signature, and a link
/// that does not work; each checked with axe and for console errors.
#[tokio::test]
async fn browser_confirms_a_signature_from_its_email() {
    use sea_orm::ConnectionTrait as _;
    let Some(b) = browser("confirm", true).await else { return };
    let axe = axe_source();
    let app = spawn_app().await;
    b.run(async {
        let id = app.open_petition("confirming").await;
        let sql = format!("UPDATE petitions SET require_confirmation = TRUE WHERE id = {id}");
        app.db
            .write
            .execute_raw(sea_orm::Statement::from_string(app.db.backend(), sql))
            .await
            .expect("asks for confirmation");
        for (confirmed, lang) in ["en", "es"].into_iter().enumerate() {
            b.client.goto(&app.url(&format!("/p/confirming?lang={lang}"))).await.expect("page loads");
            b.fill("given_name", "Ana").await;
            b.fill("family_name", "Ruiz").await;
            b.fill("email", &format!("ana.{lang}@example.org")).await;
            b.fill("postal_code", "94110").await;
            b.submit().await;
            assert_eq!(b.path().await, "/p/confirming/thanks");
            check_page(&b, axe.as_deref(), &format!("confirm-thanks-{lang}"), lang).await;
            assert_eq!(app.count("confirming").await, i64::try_from(confirmed).expect("small"));

            // The link, from the outbox (no SMTP here).
            let sql = format!(
                "SELECT text_body FROM emails WHERE to_address = 'ana.{lang}@example.org' AND kind = 'signature.confirm'"
            );
            let row = app
                .db
                .read
                .query_one_raw(sea_orm::Statement::from_string(app.db.backend(), sql))
                .await
                .expect("query")
                .expect("the email is in the outbox");
            let text: String = row.try_get("", "text_body").expect("text");
            let start = text.find("/confirm/").expect("a link");
            let path: String = text[start..].chars().take_while(|c| !c.is_whitespace()).collect();
            b.client.goto(&app.url(&path)).await.expect("page loads");
            check_page(&b, axe.as_deref(), &format!("confirm-{lang}"), lang).await;
            b.press("main form button[type=submit]", "#personal-link").await;
            assert_eq!(b.path().await, "/p/confirming/thanks");
            check_page(&b, axe.as_deref(), &format!("confirmed-{lang}"), lang).await;
        }
        assert_eq!(app.count("confirming").await, 2);
        b.client.goto(&app.url("/confirm/not-a-link?lang=es")).await.expect("page loads");
        check_page(&b, axe.as_deref(), "confirm-unknown-es", "es").await;
    })
    .await;
    b.close().await;
}
