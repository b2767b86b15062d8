//! The OpenID Connect provider, driven as a relying party would: discovery,
//! authorize (with sign-in and consent on the way), the token endpoint's
//! three grants, userinfo, revocation and introspection, and every way of
//! getting a token wrongly. (An independent client drives it too:
//! tests/oidc/ with Python's authlib.)

use super::helpers::*;
use serde_json::{json, Value};
use std::collections::HashMap;

const CALLBACK: &str = "https://wiki.example/callback";
const SIGNED_OUT: &str = "https://wiki.example/signed-out";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

struct Client {
    app_id: String,
    client_id: String,
    secret: String,
}

/// A confidential OIDC app open to everyone, asking for the standard
/// scopes, with the organisation's consent.
async fn oidc_app(app: &TestApp) -> Client {
    let sam = Api::as_user(app, APP_ADMIN).await;
    let mut ids = Vec::new();
    for value in ["openid", "profile", "email", "offline_access"] {
        ids.push(app.strings("SELECT id FROM permissions WHERE value = $1 AND org_id = $2", &[value, &app.org_id]).await.remove(0));
    }
    let (status, created) = sam
        .post(
            "/api/v1/admin/apps",
            json!({
                "name": "Wiki", "sign_on_mode": "oidc", "assignment_required": false, "publisher_verified": true,
                "redirect_uris": [CALLBACK], "launch_url": "https://wiki.example/", "permission_ids": ids,
                "post_logout_redirect_uris": [SIGNED_OUT]
            }),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let app_id = created["id"].as_str().unwrap().to_string();
    let morgan = Api::as_user(app, PRIVILEGED_ADMIN).await;
    let (status, body) = morgan.post(&format!("/api/v1/admin/apps/{app_id}/consents"), json!({})).await;
    assert!(status == 201 || status == 200, "{status} {body}");
    Client {
        app_id,
        client_id: created["client_id"].as_str().unwrap().to_string(),
        secret: created["client_secret"].as_str().unwrap().to_string(),
    }
}

fn authorize_path(client_id: &str, extra: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    q.append_pair("client_id", client_id)
        .append_pair("redirect_uri", CALLBACK)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile email offline_access")
        .append_pair("state", "st-123")
        .append_pair("nonce", "n-456")
        .append_pair("code_challenge", &app::domain::oidc::pkce_s256(VERIFIER))
        .append_pair("code_challenge_method", "S256");
    for (k, v) in extra {
        q.append_pair(k, v);
    }
    format!("/oauth/authorize?{}", q.finish())
}

fn query_of(location: &str) -> HashMap<String, String> {
    url::Url::parse(location).unwrap().query_pairs().into_owned().collect()
}

/// Follows the portal's own redirects until one leaves it.
async fn follow(app: &TestApp, browser: &reqwest::Client, path: &str) -> String {
    let mut next = app.url(path);
    for _ in 0..10 {
        let res = browser.get(&next).header("accept", "text/html").send().await.unwrap();
        assert!(res.status().is_redirection(), "{} at {next}", res.status());
        let location = location(&res);
        if location.starts_with('/') {
            next = app.url(&location);
        } else {
            return location;
        }
    }
    panic!("too many redirects");
}

async fn code_for(app: &TestApp, browser: &reqwest::Client, client: &Client) -> String {
    let back = follow(app, browser, &authorize_path(&client.client_id, &[])).await;
    assert!(back.starts_with(CALLBACK), "{back}");
    let q = query_of(&back);
    assert_eq!(q["state"], "st-123");
    assert_eq!(q["iss"], app.address);
    q["code"].clone()
}

async fn token(app: &TestApp, client: &Client, form: &[(&str, &str)]) -> (u16, Value) {
    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some(&client.secret))
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    json_of(res).await
}

async fn exchange(app: &TestApp, client: &Client, code: &str) -> (u16, Value) {
    token(app, client, &[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", CALLBACK), ("code_verifier", VERIFIER)])
        .await
}

async fn refresh(app: &TestApp, client: &Client, refresh_token: &str) -> (u16, Value) {
    token(app, client, &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)]).await
}

async fn introspect(app: &TestApp, client: &Client, token: &str) -> Value {
    let res = reqwest::Client::new()
        .post(app.url("/oauth/introspect"))
        .basic_auth(&client.client_id, Some(&client.secret))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    json_of(res).await.1
}

async fn userinfo(app: &TestApp, access_token: &str) -> (u16, Value) {
    json_of(reqwest::Client::new().get(app.url("/oauth/userinfo")).bearer_auth(access_token).send().await.unwrap()).await
}

/// Checks an ID token as a relying party would, with the published keys.
async fn verified_claims(app: &TestApp, id_token: &str, audience: &str) -> Value {
    let header = jsonwebtoken::decode_header(id_token).unwrap();
    let jwks: Value = reqwest::get(app.url("/oauth/jwks")).await.unwrap().json().await.unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header.kid.clone().unwrap().as_str()).expect("kid published");
    let key = match header.alg {
        jsonwebtoken::Algorithm::RS256 => {
            jsonwebtoken::DecodingKey::from_rsa_components(jwk["n"].as_str().unwrap(), jwk["e"].as_str().unwrap()).unwrap()
        }
        jsonwebtoken::Algorithm::EdDSA => jsonwebtoken::DecodingKey::from_ed_components(jwk["x"].as_str().unwrap()).unwrap(),
        other => panic!("unexpected alg {other:?}"),
    };
    let mut validation = jsonwebtoken::Validation::new(header.alg);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[&app.address]);
    jsonwebtoken::decode::<Value>(id_token, &key, &validation).expect("a valid ID token").claims
}

#[tokio::test]
async fn discovery_names_every_endpoint_under_the_issuer() {
    let app = spawn_app().await;
    let res = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    let d: Value = res.json().await.unwrap();
    assert_eq!(d["issuer"], app.address);
    for (field, path) in [
        ("authorization_endpoint", "/oauth/authorize"),
        ("token_endpoint", "/oauth/token"),
        ("userinfo_endpoint", "/oauth/userinfo"),
        ("jwks_uri", "/oauth/jwks"),
        ("revocation_endpoint", "/oauth/revoke"),
        ("introspection_endpoint", "/oauth/introspect"),
    ] {
        assert_eq!(d[field], format!("{}{path}", app.address), "{field}");
    }
    assert_eq!(d["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(d["response_types_supported"], json!(["code"]));
    // No key is made until one is needed.
    let jwks: Value = reqwest::get(app.url("/oauth/jwks")).await.unwrap().json().await.unwrap();
    assert_eq!(jwks["keys"], json!([]));
}

#[tokio::test]
async fn code_flow_with_pkce_gives_verified_tokens_that_refresh_rotate_and_revoke() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (status, tokens) = exchange(&app, &client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 600);
    assert_eq!(tokens["scope"], "openid profile email offline_access");
    let claims = verified_claims(&app, tokens["id_token"].as_str().unwrap(), &client.client_id).await;
    assert_eq!(claims["sub"], alex_id);
    assert_eq!(claims["nonce"], "n-456");
    assert_eq!(claims["preferred_username"], EMPLOYEE);
    assert!(claims["auth_time"].as_i64().unwrap() <= claims["iat"].as_i64().unwrap());
    // Only digests are stored.
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM oauth_access_tokens WHERE token_hash = $1", &[access]).await, 0);
    assert_eq!(
        app.scalar_i64("SELECT COUNT(*) FROM oauth_access_tokens WHERE token_hash = $1", &[&server::security::token_digest(access)]).await,
        1
    );

    let (status, info) = userinfo(&app, access).await;
    assert_eq!(status, 200, "{info}");
    assert_eq!(info["sub"], alex_id);
    assert_eq!(info["email"], "alex.wu@northwind.example");

    let seen = introspect(&app, &client, access).await;
    assert_eq!(seen["active"], true, "{seen}");
    assert_eq!(seen["sub"], alex_id);
    assert_eq!(seen["client_id"], client.client_id);

    // Refresh rotates: a new refresh token; the old one is spent.
    let first_refresh = tokens["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = refresh(&app, &client, &first_refresh).await;
    assert_eq!(status, 200, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first_refresh);
    // Replaying the spent one revokes the whole family, the new ones too.
    let (status, replay) = refresh(&app, &client, &first_refresh).await;
    assert_eq!((status, replay["error"].as_str()), (400, Some("invalid_grant")));
    let (status, _) = refresh(&app, &client, &second_refresh).await;
    assert_eq!(status, 400, "the family is gone");
    assert_eq!(introspect(&app, &client, second["access_token"].as_str().unwrap()).await["active"], false);
    assert_eq!(app.last_token_reason().await, "refresh_token_reused");
}

#[tokio::test]
async fn one_refresh_token_presented_at_once_by_many_rotates_once_and_loses_its_family() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (_, tokens) = exchange(&app, &client, &code).await;
    let presented = tokens["refresh_token"].as_str().unwrap();
    // Concurrent requests reach the token store together (most of them in
    // one batch): whatever the interleaving, one spends the token.
    let answers = futures_util::future::join_all((0..8).map(|_| refresh(&app, &client, presented))).await;
    let won: Vec<&Value> = answers.iter().filter(|(status, _)| *status == 200).map(|(_, body)| body).collect();
    assert_eq!(won.len(), 1, "exactly one rotation: {answers:?}");
    for (status, body) in answers.iter().filter(|(status, _)| *status != 200) {
        assert_eq!((*status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    }
    // The others were replays: the winner's new tokens went with the family.
    let (status, _) = refresh(&app, &client, won[0]["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400, "the family is revoked");
    assert_eq!(introspect(&app, &client, won[0]["access_token"].as_str().unwrap()).await["active"], false);
    let reasons = app.strings("SELECT reason_code FROM sign_in_events WHERE kind = 'token' ORDER BY created_at, id", &[]).await;
    assert_eq!(reasons.iter().filter(|r| r.is_empty()).count(), 2, "the code exchange and one rotation: {reasons:?}");
    assert_eq!(reasons.iter().filter(|r| *r == "refresh_token_reused").count(), 8, "seven losers and the last try: {reasons:?}");
    // Every token request counts once in the app's usage, refused ones too.
    let counted = "SELECT CAST(SUM(token_requests) AS BIGINT) FROM app_usage_daily WHERE app_id = $1";
    assert_eq!(app.scalar_i64(counted, &[&client.app_id]).await, 10);
}

#[tokio::test]
async fn a_failed_batch_of_token_writes_is_rolled_back_and_the_next_one_is_written() {
    use app::ports::{OAuthStore, UsageKind};
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    // An event of an organisation that does not exist breaks its batch's
    // transaction (foreign key): nothing of it may remain, and the writer
    // must carry on with a working connection.
    let broken = super::launch::launch_event(&app, "no-such-org", EMPLOYEE, &client.app_id, "broken").await;
    assert!(app.server_store.record_protocol_event(broken, UsageKind::UserinfoCall).await.is_err());
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id = 'broken'", &[]).await, 0);
    for n in 0..3 {
        let fine = super::launch::launch_event(&app, &app.org_id, EMPLOYEE, &client.app_id, &format!("fine-{n}")).await;
        app.server_store.record_protocol_event(fine, UsageKind::UserinfoCall).await.expect("the writer recovered");
    }
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM sign_in_events WHERE correlation_id LIKE 'fine-%'", &[]).await, 3);
    let counted = "SELECT CAST(SUM(userinfo_calls) AS BIGINT) FROM app_usage_daily WHERE app_id = $1";
    assert_eq!(app.scalar_i64(counted, &[&client.app_id]).await, 3);
    // And grants go on: a code exchange and a rotation through the same writer.
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (status, tokens) = exchange(&app, &client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    let (status, rotated) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200, "{rotated}");
}

impl TestApp {
    /// The reason of the latest token request in the sign-in log.
    async fn last_token_reason(&self) -> String {
        self.strings("SELECT reason_code FROM sign_in_events WHERE kind = 'token' ORDER BY created_at DESC, id DESC LIMIT 1", &[])
            .await
            .remove(0)
    }
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_never_redirected_to() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let path = authorize_path(&client.client_id, &[]).replace("wiki.example%2Fcallback", "evil.example%2Fcallback");
    let res = alex.get(app.url(&path)).send().await.unwrap();
    assert_eq!(location(&res), "/sign-in/problem?code=redirect_uri_mismatch");
    let (status, html) = app.page(&alex, "/sign-in/problem?code=redirect_uri_mismatch").await;
    assert_eq!(status, 400);
    assert!(html.contains("has not registered"), "{html}");
    // An unknown client: the same, never a redirect to what it named.
    let res = alex.get(app.url(&authorize_path("no-such-client", &[]))).send().await.unwrap();
    assert_eq!(location(&res), "/sign-in/problem?code=unknown_client");
    // Errors after that go back to the registered URI, with the state.
    let res = alex.get(app.url(&authorize_path(&client.client_id, &[("response_type", "token")]))).send().await.unwrap();
    assert_eq!(res.status(), 303);
    let q = query_of(&location(&res));
    assert_eq!((q["error"].as_str(), q["state"].as_str()), ("invalid_request", "st-123"), "a duplicated parameter");
}

#[tokio::test]
async fn not_signed_in_means_sign_in_first_or_login_required_with_prompt_none() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let anonymous = browser();
    let res = anonymous.get(app.url(&authorize_path(&client.client_id, &[("login_hint", EMPLOYEE)]))).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with("/sign-in?return_to=%2Foauth%2Fauthorize%3F"), "{to}");
    assert!(to.ends_with("&upn=alex.wu%40northwind.example"), "{to}");
    let res = anonymous.get(app.url(&authorize_path(&client.client_id, &[("prompt", "none")]))).send().await.unwrap();
    let q = query_of(&location(&res));
    assert_eq!(q["error"], "login_required");
    // Signing in comes back to the request, which then answers with a code.
    let res = app.sign_in(&anonymous, EMPLOYEE, PASSWORD).await;
    assert_eq!(location(&res), "/");
    let back = follow(&app, &anonymous, &authorize_path(&client.client_id, &[("prompt", "none")])).await;
    assert!(query_of(&back).contains_key("code"), "{back}");
    // prompt=login: the session ends and the person signs in again.
    let res = anonymous.get(app.url(&authorize_path(&client.client_id, &[("prompt", "login")]))).send().await.unwrap();
    let to = location(&res);
    assert!(to.starts_with("/sign-in?return_to="), "{to}");
    assert!(!urlencoding_contains(&to, "prompt=login"), "the new sign-in answers it: {to}");
    let (status, _) = json_of(anonymous.get(app.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!(status, 401, "signed out");
}

fn urlencoding_contains(location: &str, needle: &str) -> bool {
    let decoded: String =
        url::form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes()).map(|(k, v)| format!("{k}={v}&")).collect();
    decoded.contains(needle)
}

#[tokio::test]
async fn missing_consent_goes_through_the_prompt_and_back_to_the_app() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (_, grants) = morgan.get(&format!("/api/v1/admin/apps/{}/consents", client.app_id)).await;
    let grant = grants["grants"][0]["id"].as_str().unwrap().to_string();
    let (status, _) = morgan.delete(&format!("/api/v1/admin/apps/{}/consents/{grant}", client.app_id)).await;
    assert_eq!(status, 204);
    let alex = app.signed_in(EMPLOYEE).await;
    let res = alex.get(app.url(&authorize_path(&client.client_id, &[("prompt", "none")]))).send().await.unwrap();
    assert_eq!(query_of(&location(&res))["error"], "consent_required");
    let res = alex.get(app.url(&authorize_path(&client.client_id, &[]))).send().await.unwrap();
    let consent = location(&res);
    assert!(consent.starts_with(&format!("/consent/{}?return_to=", client.app_id)), "{consent}");
    let (status, html) = app.page(&alex, &consent).await;
    assert_eq!(status, 200);
    assert!(html.contains("Accept and continue"), "{html}");
    let ids = html.split("name=\"permissions\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let back = html.split("name=\"return_to\" value=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let res = app.post_form(&alex, &consent, &format!("/consent/{}", client.app_id), &[("permissions", &ids), ("return_to", &back)]).await;
    assert_eq!(location(&res), back);
    let code = query_of(&follow(&app, &alex, &back).await)["code"].clone();
    let (status, tokens) = exchange(&app, &client, &code).await;
    assert_eq!(status, 200, "{tokens}");
    // Declining tells the app so.
    let declined = format!("{back}&declined=1");
    let q = query_of(&follow(&app, &alex, &declined).await);
    assert_eq!(q["error"], "access_denied");
}

#[tokio::test]
async fn pkce_is_required_of_public_clients_and_checked_for_all() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    // Team Chat is a public client of the demo: no PKCE, no code.
    let chat = app.strings("SELECT client_id FROM applications WHERE name = 'Team Chat'", &[]).await.remove(0);
    let path = format!("/oauth/authorize?client_id={chat}&redirect_uri=https%3A%2F%2Fchat.northwind.example%2Fauth%2Fcallback&response_type=code&scope=openid&state=s");
    let q = query_of(&location(&alex.get(app.url(&path)).send().await.unwrap()));
    assert_eq!(q["error"], "invalid_request");
    assert!(q["error_description"].contains("PKCE"));
    // A wrong verifier, or none, spends the code for nothing.
    for verifier in [Some("wrong-verifier-wrong-verifier-wrong-verifier-0"), None] {
        let code = code_for(&app, &alex, &client).await;
        let mut form = vec![("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", CALLBACK)];
        if let Some(v) = verifier {
            form.push(("code_verifier", v));
        }
        let (status, body) = token(&app, &client, &form).await;
        assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
        assert_eq!(app.last_token_reason().await, "pkce_failed");
    }
}

#[tokio::test]
async fn a_reused_code_fails_and_revokes_what_it_gave() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (_, first) = exchange(&app, &client, &code).await;
    let access = first["access_token"].as_str().unwrap();
    assert_eq!(introspect(&app, &client, access).await["active"], true);
    let (status, again) = exchange(&app, &client, &code).await;
    assert_eq!((status, again["error"].as_str()), (400, Some("invalid_grant")));
    assert_eq!(app.last_token_reason().await, "code_reused");
    assert_eq!(introspect(&app, &client, access).await["active"], false);
    let (status, _) = refresh(&app, &client, first["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn refresh_fails_at_once_after_consent_assignment_or_account_changes() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex_id = app.user_id(EMPLOYEE).await;
    let morgan = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let fresh_tokens = || async {
        let alex = app.signed_in(EMPLOYEE).await;
        let code = code_for(&app, &alex, &client).await;
        exchange(&app, &client, &code).await.1["refresh_token"].as_str().unwrap().to_string()
    };

    // Consent revoked: the grant's tokens are gone with it.
    let refresh_token = fresh_tokens().await;
    let (_, grants) = morgan.get(&format!("/api/v1/admin/apps/{}/consents", client.app_id)).await;
    let grant = grants["grants"][0]["id"].as_str().unwrap().to_string();
    morgan.delete(&format!("/api/v1/admin/apps/{}/consents/{grant}", client.app_id)).await;
    let (status, body) = refresh(&app, &client, &refresh_token).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid_grant")), "{body}");
    let (status, _) = morgan.post(&format!("/api/v1/admin/apps/{}/consents", client.app_id), json!({})).await;
    assert!(status < 300);

    // Assignment now required and Alex not assigned.
    let refresh_token = fresh_tokens().await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, _) = sam.patch(&format!("/api/v1/admin/apps/{}", client.app_id), json!({"assignment_required": true})).await;
    assert_eq!(status, 200);
    let (status, _) = refresh(&app, &client, &refresh_token).await;
    assert_eq!(status, 400);
    assert_eq!(app.last_token_reason().await, "not_assigned");
    sam.patch(&format!("/api/v1/admin/apps/{}", client.app_id), json!({"assignment_required": false})).await;

    // Alex blocked from signing in.
    let refresh_token = fresh_tokens().await;
    let (status, body) = morgan.post(&format!("/api/v1/admin/users/{alex_id}/block"), json!({})).await;
    assert!(status < 300, "{status} {body}");
    let (status, _) = refresh(&app, &client, &refresh_token).await;
    assert_eq!(status, 400);
    assert_eq!(app.last_token_reason().await, "account_blocked");
}

#[tokio::test]
async fn userinfo_takes_only_our_access_tokens() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (_, tokens) = exchange(&app, &client, &code).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    // An ID token, the same claims unsigned (alg none), and the same signed
    // with a key that is not ours: none is an access token.
    let claims = verified_claims(&app, id_token, &client.client_id).await;
    let b64 = |v: &Value| data_encoding::BASE64URL_NOPAD.encode(v.to_string().as_bytes());
    let unsigned = format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT"})), b64(&claims));
    let foreign = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"not our key"),
    )
    .unwrap();
    for bad in [id_token.to_string(), unsigned, foreign, "nonsense".into()] {
        let res = reqwest::Client::new().get(app.url("/oauth/userinfo")).bearer_auth(&bad).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert!(res.headers()["www-authenticate"].to_str().unwrap().contains("invalid_token"));
    }
    let (status, _) = json_of(reqwest::Client::new().get(app.url("/oauth/userinfo")).send().await.unwrap()).await;
    assert_eq!(status, 401);
    // The real one works, and is a sign-in event and a usage count.
    let (status, _) = userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(app.scalar_i64("SELECT userinfo_calls FROM app_usage_daily WHERE app_id = $1", &[&client.app_id]).await, 1);
    // Revoked: no more.
    let res = reqwest::Client::new()
        .post(app.url("/oauth/revoke"))
        .basic_auth(&client.client_id, Some(&client.secret))
        .form(&[("token", tokens["access_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (status, _) = userinfo(&app, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn clients_authenticate_by_basic_or_post_and_wrong_secrets_are_refused() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let post = |form: Vec<(&'static str, String)>| {
        let url = app.url("/oauth/token");
        async move { json_of(reqwest::Client::new().post(url).form(&form).send().await.unwrap()).await }
    };
    let (status, body) = post(vec![
        ("grant_type", "client_credentials".into()),
        ("client_id", client.client_id.clone()),
        ("client_secret", client.secret.clone()),
    ])
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body.get("refresh_token").is_none() && body.get("id_token").is_none());
    let seen = introspect(&app, &client, body["access_token"].as_str().unwrap()).await;
    assert_eq!((seen["active"].as_bool(), seen["sub"].as_str()), (Some(true), Some(client.client_id.as_str())));
    let (status, _) = userinfo(&app, body["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 401, "no person behind it");

    let res = reqwest::Client::new()
        .post(app.url("/oauth/token"))
        .basic_auth(&client.client_id, Some("wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Basic"));
    assert_eq!(json_of(res).await.1["error"], "invalid_client");
    let (status, body) =
        post(vec![("grant_type", "password".into()), ("client_id", client.client_id.clone()), ("client_secret", client.secret.clone())])
            .await;
    assert_eq!((status, body["error"].as_str()), (400, Some("unsupported_grant_type")));
    // Another client's token is not introspected for this one.
    let res = reqwest::Client::new().post(app.url("/oauth/token")).form(&[("grant_type", "client_credentials")]).send().await.unwrap();
    assert_eq!(res.status(), 401);
}

#[tokio::test]
async fn expired_codes_and_tokens_are_deleted_and_live_ones_kept() {
    use app::ports::OAuthStore;
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (_, tokens) = exchange(&app, &client, &code).await;
    let now = server::time::now_ms();
    assert_eq!(app.store.delete_expired_oauth(now).await.unwrap(), 0, "nothing has expired");
    app.exec("UPDATE oauth_access_tokens SET expires_at = 1", &[]).await;
    app.exec("UPDATE oauth_authorization_codes SET expires_at = 1", &[]).await;
    assert_eq!(app.store.delete_expired_oauth(now).await.unwrap(), 2);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM oauth_refresh_tokens", &[]).await, 1, "the live refresh token stays");
    let (status, _) = refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);
}

async fn signed_in_still(app: &TestApp, browser: &reqwest::Client) -> bool {
    browser.get(app.url("/api/v1/me")).send().await.unwrap().status() == 200
}

#[tokio::test]
async fn logout_with_a_valid_hint_signs_out_and_returns_to_a_registered_address_only() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await;
    let (_, tokens) = exchange(&app, &client, &code).await;
    let hint = tokens["id_token"].as_str().unwrap();
    let discovery: Value = reqwest::get(app.url("/.well-known/openid-configuration")).await.unwrap().json().await.unwrap();
    assert_eq!(discovery["end_session_endpoint"], app.url("/oauth/logout"));

    // Somewhere not registered: never sent there, and still signed in.
    let evil = format!("/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri=https%3A%2F%2Fevil.example%2F&state=s1");
    let res = alex.get(app.url(&evil)).send().await.unwrap();
    assert_eq!(location(&res), "/sign-in/problem?code=post_logout_redirect_uri_mismatch");
    assert!(signed_in_still(&app, &alex).await);

    let good = format!("/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri={}&state=s1", urlencode(SIGNED_OUT));
    let res = alex.get(app.url(&good)).send().await.unwrap();
    assert_eq!(location(&res), format!("{SIGNED_OUT}?state=s1"));
    assert!(!signed_in_still(&app, &alex).await, "the session ended");
}

#[tokio::test]
async fn logout_without_proof_asks_the_person_first() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    // No hint, or a forged one (alg none): a link alone signs nobody out.
    let claims = json!({"iss": app.address, "sub": app.user_id(EMPLOYEE).await, "aud": client.client_id});
    let b64 = |v: &Value| data_encoding::BASE64URL_NOPAD.encode(v.to_string().as_bytes());
    let forged = format!("{}.{}.", b64(&json!({"alg": "none"})), b64(&claims));
    for hint in ["", forged.as_str()] {
        let path = format!(
            "/oauth/logout?client_id={}&id_token_hint={hint}&post_logout_redirect_uri={}&state=s2",
            client.client_id,
            urlencode(SIGNED_OUT)
        );
        let res = alex.get(app.url(&path)).send().await.unwrap();
        assert!(location(&res).starts_with("/sign-out?"), "{}", location(&res));
        assert!(signed_in_still(&app, &alex).await);
    }
    let confirm = location(
        &alex
            .get(app.url(&format!(
                "/oauth/logout?client_id={}&post_logout_redirect_uri={}&state=s2",
                client.client_id,
                urlencode(SIGNED_OUT)
            )))
            .send()
            .await
            .unwrap(),
    );
    let (status, html) = app.page(&alex, &confirm).await;
    assert_eq!(status, 200);
    assert!(html.contains("Sign out of My Apps?"));
    // The confirmation needs this session's CSRF token.
    let res = alex
        .post(app.url("/oauth/logout"))
        .form(&[("confirmed", "1"), ("csrf_token", "forged"), ("client_id", &client.client_id)])
        .send()
        .await
        .unwrap();
    assert!(location(&res).starts_with("/sign-out?"));
    assert!(signed_in_still(&app, &alex).await);
    let res = app
        .post_form(
            &alex,
            &confirm,
            "/oauth/logout",
            &[("confirmed", "1"), ("client_id", &client.client_id), ("post_logout_redirect_uri", SIGNED_OUT), ("state", "s2")],
        )
        .await;
    assert_eq!(location(&res), format!("{SIGNED_OUT}?state=s2"));
    assert!(!signed_in_still(&app, &alex).await);
}

#[tokio::test]
async fn a_launch_never_takes_its_target_from_the_request() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let chat = app.app_id("Team Chat").await;
    let res = alex
        .get(app.url(&format!("/launch/{chat}?target_link_uri=https%3A%2F%2Fevil.example%2F&iss=https%3A%2F%2Fevil.example")))
        .send()
        .await
        .unwrap();
    let q = query_of(&location(&res));
    assert_eq!(q["target_link_uri"], "https://chat.northwind.example/");
    assert_eq!(q["iss"], app.address);
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn prompt_consent_asks_again_even_when_granted() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let alex = app.signed_in(EMPLOYEE).await;
    let res = alex.get(app.url(&authorize_path(&client.client_id, &[("prompt", "consent")]))).send().await.unwrap();
    let review = location(&res);
    assert!(review.starts_with(&format!("/consent/{}?review=1&return_to=", client.app_id)), "{review}");
    let (status, html) = app.page(&alex, &review).await;
    assert_eq!(status, 200);
    assert!(html.contains("Continue to Wiki?") && html.contains("granted by your organisation"), "{html}");
    let back: String = url::form_urlencoded::parse(review.split_once('?').unwrap().1.as_bytes())
        .find(|(k, _)| k == "return_to")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    assert!(!urlencoding_contains(&back, "prompt=consent"), "answered once confirmed: {back}");
    assert!(query_of(&follow(&app, &alex, &back).await).contains_key("code"));
}

#[tokio::test]
async fn prompt_admin_consent_lets_a_privileged_admin_consent_for_everyone() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let morgan_api = Api::as_user(&app, PRIVILEGED_ADMIN).await;
    let (_, grants) = morgan_api.get(&format!("/api/v1/admin/apps/{}/consents", client.app_id)).await;
    let grant = grants["grants"][0]["id"].as_str().unwrap().to_string();
    morgan_api.delete(&format!("/api/v1/admin/apps/{}/consents/{grant}", client.app_id)).await;

    // Not for an employee.
    let alex = app.signed_in(EMPLOYEE).await;
    let res = alex.get(app.url(&authorize_path(&client.client_id, &[("prompt", "admin_consent")]))).send().await.unwrap();
    assert_eq!(query_of(&location(&res))["error"], "access_denied");

    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let res = morgan.get(app.url(&authorize_path(&client.client_id, &[("prompt", "admin_consent")]))).send().await.unwrap();
    let page = location(&res);
    assert!(page.starts_with(&format!("/consent/{}?for=organisation&return_to=", client.app_id)), "{page}");
    let (status, html) = app.page(&morgan, &page).await;
    assert_eq!(status, 200);
    assert!(html.contains("wants permission for your organisation"), "{html}");
    let back = html.split("name=\"return_to\" value=\"").nth(1).unwrap().split('"').next().unwrap().replace("&amp;", "&");
    let res = app
        .post_form(&morgan, &page, &format!("/admin/apps/{}/consents", client.app_id), &[("scope", "organisation"), ("return_to", &back)])
        .await;
    assert_eq!(location(&res), back);
    assert!(query_of(&follow(&app, &morgan, &back).await).contains_key("code"));
    // Everyone has it now: Alex goes straight through.
    assert!(query_of(&follow(&app, &alex, &authorize_path(&client.client_id, &[])).await).contains_key("code"));
}

#[tokio::test]
async fn connected_apps_count_sign_ins_token_requests_and_userinfo_calls() {
    let app = spawn_app().await;
    let client = oidc_app(&app).await;
    let sam = Api::as_user(&app, APP_ADMIN).await;
    let (status, before) = sam.get("/api/v1/admin/connected-apps").await;
    assert_eq!(status, 200);
    let wiki = |list: &Value| list.as_array().unwrap().iter().find(|a| a["name"] == "Wiki").cloned().unwrap();
    assert_eq!(wiki(&before)["last_seen_at"], Value::Null);
    assert_eq!(wiki(&before)["requests_24h"], 0);
    assert!(before.as_array().unwrap().iter().all(|a| a["client_id"].is_string()), "OAuth apps only");
    assert!(!before.to_string().contains("\"Mail\""), "linked apps are not connected apps");

    let alex = app.signed_in(EMPLOYEE).await;
    let code = code_for(&app, &alex, &client).await; // a sign-in: 1
    let (_, tokens) = exchange(&app, &client, &code).await; // 2
    userinfo(&app, tokens["access_token"].as_str().unwrap()).await; // 3
    refresh(&app, &client, tokens["refresh_token"].as_str().unwrap()).await; // 4
    token(&app, &client, &[("grant_type", "refresh_token"), ("refresh_token", "unknown")]).await; // 5: refused, still a request
    let (_, after) = sam.get("/api/v1/admin/connected-apps").await;
    let w = wiki(&after);
    assert_eq!(w["requests_24h"], 5, "{w}");
    let daily = w["daily_requests"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[29], 5, "today, last");
    assert!(w["last_seen_at"].as_i64().unwrap() > 0);

    // The page draws the same.
    let (status, html) = app.page(&app.signed_in(APP_ADMIN).await, "/admin/connected-apps").await;
    assert_eq!(status, 200);
    assert!(html.contains("5 requests in the last 30 days; the busiest day, today, had 5."), "{html}");
    assert!(html.contains("<svg role=\"img\""));
    // Employees have no admin area.
    let (status, _) = json_of(alex.get(app.url("/api/v1/admin/connected-apps")).send().await.unwrap()).await;
    assert_eq!(status, 403);
}
