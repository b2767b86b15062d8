use crate::helpers::*;
use app::domain::totp::{code_for, TotpSecret};

fn unix_now() -> i64 {
    server::time::now_ms() / 1000
}

/// The key the enrolment page offers for typing into an authenticator.
fn offered_secret(enrolment_page: &str) -> TotpSecret {
    let at = enrolment_page.find("data-testid=\"totp-secret\"").expect("page shows the secret");
    let start = at + enrolment_page[at..].find('>').unwrap() + 1;
    let text: String = enrolment_page[start..].split('<').next().unwrap().chars().filter(|c| !c.is_whitespace()).collect();
    TotpSecret::from_base32(&text).expect("the shown key is base32")
}

#[tokio::test]
async fn enforced_mfa_enrols_at_first_sign_in_then_asks_for_codes() {
    let app = spawn_app().await;
    let client = browser();

    let res = app.sign_in(&client, MFA_USER, PASSWORD).await;
    assert_eq!(location(&res), "/sign-in/mfa/enrol");
    // nothing else is reachable until enrolment is done
    let res = client.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in/mfa/enrol");

    let (status, html) = app.page(&client, "/sign-in/mfa/enrol").await;
    assert_eq!(status, 200);
    let secret = offered_secret(&html);
    let qr = client.get(app.url("/auth/mfa/enrol/qr.svg")).send().await.unwrap();
    assert_eq!(qr.headers()["content-type"], "image/svg+xml");

    let res = app.post_form(&client, "/sign-in/mfa/enrol", "/auth/mfa/enrol", &[("code", "000000")]).await;
    assert_eq!(location(&res), "/sign-in/mfa/enrol?error=invalid_code");

    let code = code_for(&secret, unix_now());
    let res = app.post_form(&client, "/sign-in/mfa/enrol", "/auth/mfa/enrol", &[("code", &code)]).await;
    assert_eq!(location(&res), "/");
    let (status, html) = app.page(&client, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("Riley Chen"));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'user.mfa_enrolled'", &[]).await, 1);

    // Next sign-in asks for a code; the one already used is refused (replay).
    let client = browser();
    let res = app.sign_in(&client, MFA_USER, PASSWORD).await;
    assert_eq!(location(&res), "/sign-in/mfa");
    let res = app.post_form(&client, "/sign-in/mfa", "/auth/mfa/verify", &[("code", &code)]).await;
    assert_eq!(location(&res), "/sign-in/mfa?error=invalid_code");
    let next = code_for(&secret, unix_now() + 30);
    let res = app.post_form(&client, "/sign-in/mfa", "/auth/mfa/verify", &[("code", &next)]).await;
    assert_eq!(location(&res), "/");
}

#[tokio::test]
async fn second_factors_are_encrypted_at_rest_and_bound_to_their_user() {
    let app = spawn_app().await;
    let client = browser();
    app.sign_in(&client, MFA_USER, PASSWORD).await;
    let (_, html) = app.page(&client, "/sign-in/mfa/enrol").await;
    let secret = offered_secret(&html);
    let canonical = secret.to_base32();

    // While enrolling, the offered key sits sealed in the session row.
    let pending = app.strings("SELECT pending_totp_secret FROM sessions WHERE pending_totp_secret IS NOT NULL", &[]).await;
    assert_eq!(pending.len(), 1);
    assert!(pending[0].starts_with("v1.") && !pending[0].contains(&canonical), "{}", pending[0]);

    let code = code_for(&secret, unix_now());
    let res = app.post_form(&client, "/sign-in/mfa/enrol", "/auth/mfa/enrol", &[("code", &code)]).await;
    assert_eq!(location(&res), "/");
    let stored = app.strings("SELECT totp_secret FROM users WHERE upn_normalized = $1", &[MFA_USER]).await.remove(0);
    assert!(stored.starts_with("v1.") && !stored.contains(&canonical), "{stored}");

    // Copied onto another user's row, the sealed key does not open: that
    // user's sign-in fails closed (an error page), never "not enrolled".
    app.exec("UPDATE users SET totp_secret = $1, mfa_state = 'enforced' WHERE upn_normalized = $2", &[&stored, EMPLOYEE]).await;
    let other = browser();
    let res = app.sign_in(&other, EMPLOYEE, PASSWORD).await;
    assert_eq!(res.status(), 500, "{:?}", res.headers().get("location"));
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM sessions WHERE user_id = (SELECT id FROM users WHERE upn_normalized = $1)", &[EMPLOYEE]).await,
        0
    );
}

#[tokio::test]
async fn wrong_codes_count_towards_lockout() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.sign_in(&client, MFA_USER, PASSWORD).await;
    assert_eq!(location(&res), "/sign-in/mfa/enrol");
    for _ in 0..4 {
        let res = app.post_form(&client, "/sign-in/mfa/enrol", "/auth/mfa/enrol", &[("code", "123456")]).await;
        assert_eq!(location(&res), "/sign-in/mfa/enrol?error=invalid_code");
    }
    let res = app.post_form(&client, "/sign-in/mfa/enrol", "/auth/mfa/enrol", &[("code", "123456")]).await;
    assert!(location(&res).starts_with("/sign-in?error=invalid_credentials"), "{}", location(&res));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sessions", &[]).await, 0);
}

#[tokio::test]
async fn an_expired_password_must_be_changed_before_anything_else() {
    let app = spawn_app().await;
    let client = browser();
    let res = app.sign_in(&client, EXPIRED_USER, PASSWORD).await;
    assert_eq!(location(&res), "/sign-in/change-password");
    let res = client.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in/change-password");
    let res = client.get(app.url("/api/anything")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "sign_in_incomplete");

    let page = "/sign-in/change-password";
    let action = "/auth/change-password";
    let cases = [
        ("short", "short", "too_short"),
        ("correct horse battery", "correct horse batterx", "mismatch"),
        (PASSWORD, PASSWORD, "same_as_current"),
    ];
    for (new, confirm, code) in cases {
        let res = app.post_form(&client, page, action, &[("new_password", new), ("confirm_password", confirm)]).await;
        assert_eq!(location(&res), format!("{page}?error={code}"));
    }
    let res = app
        .post_form(&client, page, action, &[("new_password", "violet tundra harmonica"), ("confirm_password", "violet tundra harmonica")])
        .await;
    assert_eq!(location(&res), "/");
    assert_eq!(app.page(&client, "/").await.0, 200);

    let fresh = browser();
    assert!(location(&app.sign_in(&fresh, EXPIRED_USER, PASSWORD).await).starts_with("/sign-in?error=invalid_credentials"));
    assert_eq!(location(&app.sign_in(&fresh, EXPIRED_USER, "violet tundra harmonica").await), "/");
}

#[tokio::test]
async fn a_password_change_ends_other_sessions() {
    let app = spawn_app().await;
    let other = browser();
    // another browser signed in before the password expired
    app.exec("UPDATE users SET password_expires_at = NULL WHERE upn_normalized = $1", &[EXPIRED_USER]).await;
    assert_eq!(location(&app.sign_in(&other, EXPIRED_USER, PASSWORD).await), "/");
    app.exec("UPDATE users SET must_change_password = TRUE WHERE upn_normalized = $1", &[EXPIRED_USER]).await;

    let client = browser();
    app.sign_in(&client, EXPIRED_USER, PASSWORD).await;
    app.post_form(
        &client,
        "/sign-in/change-password",
        "/auth/change-password",
        &[("new_password", "violet tundra harmonica"), ("confirm_password", "violet tundra harmonica")],
    )
    .await;
    let res = other.get(app.url("/")).header("accept", "text/html").send().await.unwrap();
    assert_eq!(location(&res), "/sign-in");
}
