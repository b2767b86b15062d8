//! SCIM 2.0 (RFC 7644) as a provisioning client uses it: discovery, Users
//! created, read, replaced, patched (as Entra ID and Okta send PATCH),
//! listed with filters and paging, deleted; ETags; SCIM errors; tokens only.

use crate::helpers::*;
use serde_json::{json, Value};

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

struct Scim<'a> {
    app: &'a TestApp,
    secret: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Scim<'_> {
    async fn new(app: &TestApp) -> Scim<'_> {
        let (_, secret) = app.create_api_token("HR system", "privileged_admin").await;
        Scim { app, secret }
    }
    async fn send(&self, method: &str, path: &str, body: Option<Value>, extra: &[(&str, &str)]) -> Answer {
        let client = reqwest::Client::new();
        let mut req = client.request(method.parse().unwrap(), self.app.url(&format!("/scim/v2{path}"))).bearer_auth(&self.secret);
        for (k, v) in extra {
            req = req.header(*k, *v);
        }
        if let Some(body) = body {
            req = req.header("content-type", "application/scim+json").body(body.to_string());
        }
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        let body = res.json().await.unwrap_or(Value::Null);
        Answer { status, headers, body }
    }
    async fn get(&self, path: &str) -> Answer {
        self.send("GET", path, None, &[]).await
    }
    async fn create(&self, user_name: &str, extra: Value) -> Value {
        let mut body = json!({"schemas": [USER], "userName": user_name, "name": {"givenName": "Pat", "familyName": "Lee"},
            "emails": [{"value": user_name, "type": "work", "primary": true}]});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        let a = self.send("POST", "/Users", Some(body), &[]).await;
        assert_eq!(a.status, 201, "{}", a.body);
        a.body
    }
}

fn is_scim_error(a: &Answer, status: u16, scim_type: Option<&str>) {
    assert_eq!(a.status, status, "{}", a.body);
    assert!(a.headers["content-type"].to_str().unwrap().starts_with("application/scim+json"));
    assert_eq!(a.body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
    assert_eq!(a.body["status"], status.to_string());
    assert!(!a.body["detail"].as_str().unwrap().is_empty());
    assert_eq!(a.body["scimType"].as_str(), scim_type, "{}", a.body);
}

#[tokio::test]
async fn discovery_describes_what_is_served_and_only_privileged_tokens_reach_it() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let config = scim.get("/ServiceProviderConfig").await;
    assert_eq!(config.status, 200);
    assert!(config.headers["content-type"].to_str().unwrap().starts_with("application/scim+json"));
    assert_eq!(config.body["patch"]["supported"], true);
    assert_eq!(config.body["filter"]["maxResults"], 200);
    assert_eq!(config.body["etag"]["supported"], true);
    assert_eq!(config.body["authenticationSchemes"][0]["type"], "oauthbearertoken");
    let types = scim.get("/ResourceTypes").await;
    assert_eq!(types.body["Resources"][0]["endpoint"], "/Users");
    assert_eq!(scim.get("/ResourceTypes/User").await.body["schema"], USER);
    let schemas = scim.get("/Schemas").await;
    let ids: Vec<&str> = schemas.body["Resources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&USER) && ids.contains(&"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
    let user_schema = scim.get(&format!("/Schemas/{USER}")).await;
    let user_name = user_schema.body["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!((user_name["required"].clone(), user_name["uniqueness"].clone()), (json!(true), json!("server")));
    is_scim_error(&scim.get("/Schemas/urn:nope").await, 404, None);
    is_scim_error(&scim.get("/Nowhere").await, 404, None);
    is_scim_error(&scim.get("").await, 404, None);

    // No token, a cookie session, an app admin's token, a forged one: refused, in SCIM's shape.
    let res = browser().get(app.url("/scim/v2/Users")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert!(res.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    assert_eq!(res.json::<Value>().await.unwrap()["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    assert_eq!(morgan.get(app.url("/scim/v2/Users")).send().await.unwrap().status().as_u16(), 401);
    let (_, app_admin) = app.create_api_token("Apps only", "app_admin").await;
    let weak = Scim { app: &app, secret: app_admin };
    is_scim_error(&weak.get("/Users").await, 403, None);
    let forged = Scim { app: &app, secret: format!("mya_{}", "B".repeat(43)) };
    is_scim_error(&forged.get("/Users").await, 401, None);
}

#[tokio::test]
async fn users_are_created_read_and_audited_as_the_token() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let body = json!({"schemas": [USER, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"], "userName": "Pat.Lee@northwind.example",
        "externalId": "HR-1001", "name": {"givenName": "Pat", "familyName": "Lee"}, "title": "Analyst",
        "emails": [{"value": "pat.lee@northwind.example", "type": "work", "primary": true}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"}});
    let created = scim.send("POST", "/Users", Some(body.clone()), &[]).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let id = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.headers["location"].to_str().unwrap(), format!("{}/scim/v2/Users/{id}", app.address));
    let etag = created.headers["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""));
    let u = &created.body;
    assert_eq!(
        (u["userName"].as_str(), u["displayName"].as_str(), u["active"].as_bool()),
        (Some("Pat.Lee@northwind.example"), Some("Pat Lee"), Some(true))
    );
    assert_eq!(u["externalId"], "HR-1001");
    assert_eq!(u["emails"][0]["value"], "pat.lee@northwind.example");
    assert_eq!(u["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "Finance");
    assert_eq!(u["meta"]["resourceType"], "User");
    assert_eq!(u["meta"]["version"], etag.as_str());
    assert!(u.get("password").is_none());

    // Read back; unchanged since that version: 304.
    let read = scim.get(&format!("/Users/{id}")).await;
    assert_eq!(read.body, created.body);
    let again = scim.send("GET", &format!("/Users/{id}"), None, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, 304);
    // Only what is asked for (id and schemas always), or all but what is excluded.
    let some = scim.get(&format!("/Users/{id}?attributes=userName,name.familyName")).await.body;
    assert_eq!(some, json!({"schemas": u["schemas"], "id": id, "userName": "Pat.Lee@northwind.example", "name": {"familyName": "Lee"}}));
    let fewer = scim.get(&format!("/Users/{id}?excludedAttributes=groups,emails")).await.body;
    assert!(fewer.get("groups").is_none() && fewer.get("emails").is_none() && fewer["userName"].is_string());

    // The same sign-in name in another case: uniqueness; a bad one: invalidValue; nothing written.
    let users_before = app.scalar_i64("SELECT COUNT(*) FROM users", &[]).await;
    let mut dup = body.clone();
    dup["userName"] = json!("pat.lee@NORTHWIND.example");
    is_scim_error(&scim.send("POST", "/Users", Some(dup), &[]).await, 409, Some("uniqueness"));
    is_scim_error(
        &scim.send("POST", "/Users", Some(json!({"schemas": [USER], "userName": "no at sign"})), &[]).await,
        400,
        Some("invalidValue"),
    );
    is_scim_error(&scim.send("POST", "/Users", Some(json!({"schemas": [USER]})), &[]).await, 400, Some("invalidValue"));
    let res = reqwest::Client::new()
        .post(app.url("/scim/v2/Users"))
        .bearer_auth(&scim.secret)
        .header("content-type", "application/json")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users", &[]).await, users_before);

    let actor = app.strings("SELECT actor_label FROM audit_events WHERE action = 'user.created' AND target_id = $1", &[&id]).await;
    assert_eq!(actor, ["API token \u{201c}HR system\u{201d}"]);
    // Provisioned without a password: they cannot sign in until one is set.
    let res = app.sign_in(&browser(), "pat.lee@northwind.example", PASSWORD).await;
    assert!(location(&res).contains("error=invalid_credentials"), "{}", location(&res));
}

#[tokio::test]
async fn lists_filter_page_and_count() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    for (n, dept) in [(1, "Sales"), (2, "Sales"), (3, "Support")] {
        scim.create(
            &format!("seller{n}@northwind.example"),
            json!({"externalId": format!("X-{n}"),
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": dept}}),
        )
        .await;
    }
    let list = |q: &str| {
        let q = q.to_string();
        let scim = &scim;
        async move { scim.get(&format!("/Users?{q}")).await }
    };
    let names = |a: &Answer| {
        a.body["Resources"].as_array().unwrap().iter().map(|r| r["userName"].as_str().unwrap().to_string()).collect::<Vec<_>>()
    };
    let all = list("").await;
    assert_eq!(all.body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:ListResponse"]));
    let everyone = all.body["totalResults"].as_u64().unwrap();
    assert!(everyone >= 3 + 6, "the demo's people too: {everyone}");

    let q = |f: &str| format!("filter={}", urlencode(f));
    assert_eq!(names(&list(&q(r#"userName eq "SELLER2@northwind.example""#)).await), ["seller2@northwind.example"]);
    assert_eq!(
        names(
            &list(&q(r#"userName sw "seller" and urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#)).await
        )
        .len(),
        2
    );
    assert_eq!(
        names(&list(&q(r#"externalId eq "X-3" or externalId eq "X-1""#)).await),
        ["seller1@northwind.example", "seller3@northwind.example"]
    );
    assert_eq!(names(&list(&q(r#"externalId eq "x-3""#)).await).len(), 0, "externalId is caseExact");
    assert_eq!(names(&list(&q(r#"emails[type eq "work" and value co "ller3@"]"#)).await), ["seller3@northwind.example"]);
    assert_eq!(list(&q("externalId pr")).await.body["totalResults"], 3);
    assert_eq!(list(&q(r#"userName co "%""#)).await.body["totalResults"], 0, "LIKE's characters are literal");
    assert!(list(&q("not (externalId pr)")).await.body["totalResults"].as_u64().unwrap() >= 6);

    // Paging: 1-based startIndex, count, totalResults of the whole match.
    let f = q(r#"userName sw "seller""#);
    let page = list(&format!("{f}&startIndex=2&count=1")).await;
    assert_eq!(
        (page.body["totalResults"].as_u64(), page.body["startIndex"].as_u64(), page.body["itemsPerPage"].as_u64()),
        (Some(3), Some(2), Some(1))
    );
    assert_eq!(names(&page), ["seller2@northwind.example"]);
    assert_eq!(list(&format!("{f}&count=0")).await.body["Resources"], json!([]));
    assert_eq!(names(&list(&format!("{f}&startIndex=0&count=-1")).await).len(), 0);
    let only = list(&format!("{f}&attributes=userName")).await;
    assert_eq!(only.body["Resources"][0].as_object().unwrap().len(), 3, "schemas, id, userName");

    // POST .search says the same.
    let search = scim
        .send(
            "POST",
            "/Users/.search",
            Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "externalId eq \"X-2\"", "attributes": ["userName"]})),
            &[],
        )
        .await;
    assert_eq!(names(&search), ["seller2@northwind.example"]);

    is_scim_error(&list(&q("userName eq")).await, 400, Some("invalidFilter"));
    is_scim_error(&list(&q(r#"nickName eq "x""#)).await, 400, Some("invalidFilter"));
    is_scim_error(&list(&q(r#"active eq "yes""#)).await, 400, Some("invalidFilter"));
    is_scim_error(&list("count=many").await, 400, Some("invalidValue"));
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn replace_and_patch_change_what_they_say_and_respect_versions() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let created = scim.create("dana@northwind.example", json!({"password": "Correct-Horse-Battery-9"})).await;
    let id = created["id"].as_str().unwrap().to_string();
    let path = format!("/Users/{id}");
    // The password given works; the session it opens ends when the user is deactivated.
    let dana = browser();
    let res = app.sign_in(&dana, "dana@northwind.example", "Correct-Horse-Battery-9").await;
    assert_eq!(location(&res), "/", "signed in with the provisioned password");
    assert_eq!(dana.get(app.url("/api/v1/me")).send().await.unwrap().status().as_u16(), 200);

    // Entra ID's PATCH: capitalised ops, one path each, a filter, a string boolean.
    let etag = created["meta"]["version"].as_str().unwrap().to_string();
    let patched = scim
        .send(
            "PATCH",
            &path,
            Some(json!({"schemas": [PATCH_OP], "Operations": [
                {"op": "Replace", "path": "title", "value": "Lead"},
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "dana.new@northwind.example"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"},
                {"op": "Replace", "path": "active", "value": "False"},
            ]})),
            &[("if-match", &etag)],
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!((patched.body["title"].as_str(), patched.body["active"].as_bool()), (Some("Lead"), Some(false)));
    assert_eq!(patched.body["emails"][0]["value"], "dana.new@northwind.example");
    assert_ne!(patched.headers["etag"].to_str().unwrap(), etag);
    assert_eq!(dana.get(app.url("/api/v1/me")).send().await.unwrap().status().as_u16(), 401, "inactive: sessions ended");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM users WHERE id = $1 AND sign_in_blocked", &[&id]).await, 1);

    // The old version no longer matches: 412, nothing changes.
    let stale = scim
        .send(
            "PATCH",
            &path,
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "X"}]})),
            &[("if-match", &etag)],
        )
        .await;
    is_scim_error(&stale, 412, None);
    // Okta's PATCH: no path, an object of attributes.
    let okta = scim.send("PATCH", &path, Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true, "name": {"givenName": "Danielle"}}}]})), &[]).await;
    assert_eq!(
        (okta.body["active"].as_bool(), okta.body["name"]["givenName"].as_str(), okta.body["title"].as_str()),
        (Some(true), Some("Danielle"), Some("Lead"))
    );

    // PUT replaces everything we keep: what is left out is cleared.
    let put =
        scim.send("PUT", &path, Some(json!({"schemas": [USER], "userName": "dana@northwind.example", "displayName": "Dana D"})), &[]).await;
    assert_eq!(put.status, 200, "{}", put.body);
    assert_eq!(put.body["displayName"], "Dana D");
    assert!(put.body.get("title").is_none() && put.body.get("emails").is_none());
    assert_eq!(put.body["active"], true);

    // Bad patches: their scimType, nothing written.
    let before = scim.get(&path).await.body;
    for (ops, kind) in [
        (json!([{"op": "remove"}]), "noTarget"),
        (json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x@y.z"}]), "noTarget"),
        (json!([{"op": "jump", "path": "title", "value": 1}]), "invalidSyntax"),
        (json!([{"op": "replace", "path": "userName", "value": "not an upn"}]), "invalidValue"),
        (json!([{"op": "replace", "path": "id", "value": "x"}]), "mutability"),
    ] {
        is_scim_error(&scim.send("PATCH", &path, Some(json!({"schemas": [PATCH_OP], "Operations": ops})), &[]).await, 400, Some(kind));
    }
    assert_eq!(scim.get(&path).await.body, before);
    // A changed password: the new one works (and a weak one is refused).
    is_scim_error(
        &scim
            .send(
                "PATCH",
                &path,
                Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "password", "value": "short"}]})),
                &[],
            )
            .await,
        400,
        Some("invalidValue"),
    );
    let ok = scim
        .send(
            "PATCH",
            &path,
            Some(
                json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "password", "value": "Another-Long-Passphrase-4"}]}),
            ),
            &[],
        )
        .await;
    assert_eq!(ok.status, 200);
    assert_eq!(location(&app.sign_in(&browser(), "dana@northwind.example", "Another-Long-Passphrase-4").await), "/");
    let updates = app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'user.updated' AND target_id = $1", &[&id]).await;
    assert_eq!(updates, 4, "one audit event per change that changed something");
}

#[tokio::test]
async fn deleting_a_user_frees_their_seat_and_other_organisations_are_invisible() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let first = scim.create("first@northwind.example", json!({})).await["id"].as_str().unwrap().to_string();
    let second = scim.create("second@northwind.example", json!({})).await["id"].as_str().unwrap().to_string();
    // A license of one seat, given to both: the first holds it.
    let (morgan, csrf) = {
        let c = app.signed_in(PRIVILEGED_ADMIN).await;
        let (_, html) = app.page(&c, "/").await;
        (c, csrf_in(&html))
    };
    let post = |path: String, body: Value| morgan.post(app.url(&path)).header("x-csrf-token", &csrf).json(&body).send();
    let license: Value = post("/api/v1/admin/licenses".into(), json!({"name": "One seat", "sku": "ONE_SEAT", "seats": 1}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let license_id = license["id"].as_str().unwrap().to_string();
    for user in [&first, &second] {
        assert_eq!(
            post(format!("/api/v1/admin/licenses/{license_id}/assignments"), json!({"user_id": user})).await.unwrap().status().as_u16(),
            200
        );
    }
    let holder = || app.seat_holders(&license_id);
    assert_eq!(holder().await, vec![first.clone()]);

    let gone = scim.send("DELETE", &format!("/Users/{first}"), None, &[]).await;
    assert_eq!(gone.status, 204);
    assert_eq!(holder().await, vec![second.clone()], "the seat went to the next in line at once");
    is_scim_error(&scim.get(&format!("/Users/{first}")).await, 404, None);
    is_scim_error(&scim.send("DELETE", &format!("/Users/{first}"), None, &[]).await, 404, None);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM audit_events WHERE action = 'user.deleted' AND target_id = $1", &[&first]).await, 1);

    // Another organisation's user: not found, not listed, whatever id is sent.
    app.add_other_org().await;
    let boss = "22222222-2222-4222-8222-222222222222";
    is_scim_error(&scim.get(&format!("/Users/{boss}")).await, 404, None);
    is_scim_error(&scim.send("DELETE", &format!("/Users/{boss}"), None, &[]).await, 404, None);
    let found = scim.get(&format!("/Users?filter={}", urlencode(&format!("id eq \"{boss}\"")))).await;
    assert_eq!(found.body["totalResults"], 0);
    is_scim_error(&scim.get("/Users/not-a-uuid").await, 404, None);
}

const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

#[tokio::test]
async fn groups_are_provisioned_with_their_members_and_nesting_is_checked() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let a = scim.create("ann@northwind.example", json!({})).await["id"].as_str().unwrap().to_string();
    let b = scim.create("bob@northwind.example", json!({})).await["id"].as_str().unwrap().to_string();
    let created = scim
        .send(
            "POST",
            "/Groups",
            Some(json!({"schemas": [GROUP], "displayName": "Finance Team", "externalId": "G-1",
        "members": [{"value": a, "type": "User"}]})),
            &[],
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let finance = created.body["id"].as_str().unwrap().to_string();
    assert_eq!(created.body["members"][0]["value"], a.as_str());
    assert_eq!(created.body["members"][0]["type"], "User");
    assert_eq!(created.body["externalId"], "G-1");
    assert!(created.headers.contains_key("etag") && created.headers.contains_key("location"));

    // A parent group with the first nested in it; the user sees both, direct and indirect.
    let parent = scim
        .send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Head Office", "members": [{"value": finance}]})), &[])
        .await;
    let parent = parent.body["id"].as_str().unwrap().to_string();
    let groups = scim.get(&format!("/Users/{a}")).await.body["groups"].clone();
    let kinds: Vec<(String, String)> =
        groups.as_array().unwrap().iter().map(|g| (g["display"].as_str().unwrap().into(), g["type"].as_str().unwrap().into())).collect();
    assert_eq!(kinds, [("Finance Team".to_string(), "direct".to_string()), ("Head Office".to_string(), "indirect".to_string())]);
    // Nesting the parent inside its own member closes a cycle: refused, named, nothing written.
    let cycle = scim
        .send(
            "PATCH",
            &format!("/Groups/{finance}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": parent}]}]})),
            &[],
        )
        .await;
    is_scim_error(&cycle, 400, Some("invalidValue"));
    assert!(cycle.body["detail"].as_str().unwrap().contains("Head Office"), "{}", cycle.body);
    // Unknown members, another group's name: refused, nothing written.
    is_scim_error(
        &scim
            .send(
                "PATCH",
                &format!("/Groups/{finance}"),
                Some(json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": "0190aaaa-0000-7000-8000-000000000000"}]}]})),
                &[],
            )
            .await,
        400,
        Some("invalidValue"),
    );
    is_scim_error(
        &scim.send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "finance TEAM"})), &[]).await,
        409,
        Some("uniqueness"),
    );
    assert_eq!(scim.get(&format!("/Groups/{finance}")).await.body["members"].as_array().unwrap().len(), 1);

    // Entra's member PATCH: add, then remove by filter; Okta's: replace the set.
    let path = format!("/Groups/{finance}");
    let added = scim
        .send(
            "PATCH",
            &path,
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "members", "value": [{"value": b}]}]})),
            &[],
        )
        .await;
    assert_eq!(added.body["members"].as_array().unwrap().len(), 2, "{}", added.body);
    let removed = scim
        .send(
            "PATCH",
            &path,
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": format!("members[value eq \"{a}\"]")}]})),
            &[],
        )
        .await;
    assert_eq!(
        removed.body["members"],
        json!([{"value": b, "display": "Pat Lee", "type": "User", "$ref": format!("{}/scim/v2/Users/{b}", app.address)}])
    );
    let renamed = scim
        .send(
            "PATCH",
            &path,
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"displayName": "Finance Ops"}}]})),
            &[],
        )
        .await;
    assert_eq!(renamed.body["displayName"], "Finance Ops", "{}", renamed.body);
    let put = scim
        .send(
            "PUT",
            &path,
            Some(json!({"schemas": [GROUP], "displayName": "Finance Ops", "externalId": "G-1", "members": [{"value": a}, {"value": b}]})),
            &[],
        )
        .await;
    assert_eq!(put.body["members"].as_array().unwrap().len(), 2);
    // Every change audited as the token.
    let changes = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at", &[&finance]).await;
    assert_eq!(changes, ["group.created", "group.updated", "group.updated", "group.updated", "group.updated"]);

    // Filters, and lists without their members.
    let list = |q: &str| {
        let path = format!("/Groups?{q}");
        let scim = &scim;
        async move { scim.get(&path).await }
    };
    let found = list(&format!("filter={}", urlencode(r#"displayName eq "finance ops""#))).await;
    assert_eq!(found.body["totalResults"], 1);
    let with_ann = list(&format!("filter={}&excludedAttributes=members", urlencode(&format!("members[value eq \"{a}\"]")))).await;
    assert_eq!(with_ann.body["totalResults"], 1);
    assert!(with_ann.body["Resources"][0].get("members").is_none());
    assert_eq!(list(&format!("filter={}", urlencode(r#"externalId eq "G-1""#))).await.body["Resources"][0]["id"], finance.as_str());
    is_scim_error(&list(&format!("filter={}", urlencode(r#"userName eq "x""#))).await, 400, Some("invalidFilter"));
    // A search from the root finds both kinds.
    let both = scim.send("POST", "/.search", Some(json!({"filter": "externalId pr", "count": 50})), &[]).await;
    assert!(both.body["Resources"].as_array().unwrap().iter().any(|r| r["id"] == finance.as_str()), "{}", both.body);

    // Bodies larger than a form (a group's whole member list) are read, up to 1 MiB.
    let big =
        scim.send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Big body", "note": "x".repeat(200_000)})), &[]).await;
    assert_eq!(big.status, 201);
    let huge = scim
        .send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Huge body", "note": "x".repeat(1_100_000)})), &[])
        .await;
    assert_eq!(huge.status, 413);

    // Deleted: gone, and the parent no longer holds it.
    assert_eq!(scim.send("DELETE", &path, None, &[]).await.status, 204);
    is_scim_error(&scim.get(&path).await, 404, None);
    assert_eq!(scim.get(&format!("/Groups/{parent}")).await.body["members"], json!([]));
}

#[tokio::test]
async fn a_member_added_over_scim_takes_a_seat_of_the_groups_license_at_once() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let user = scim.create("seat.taker@northwind.example", json!({})).await["id"].as_str().unwrap().to_string();
    let group = scim.send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Licensed"})), &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (_, html) = app.page(&morgan, "/").await;
    let csrf = csrf_in(&html);
    let license: Value = morgan
        .post(app.url("/api/v1/admin/licenses"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"name": "Seats", "sku": "SEATS", "seats": 5}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let license_id = license["id"].as_str().unwrap().to_string();
    let res = morgan
        .post(app.url(&format!("/api/v1/admin/licenses/{license_id}/assignments")))
        .header("x-csrf-token", &csrf)
        .json(&json!({"group_id": group}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let seats = || async { app.seat_holders(&license_id).await.iter().filter(|h| **h == user).count() as i64 };
    assert_eq!(seats().await, 0);
    let added = scim
        .send(
            "PATCH",
            &format!("/Groups/{group}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": user}]}]})),
            &[],
        )
        .await;
    assert_eq!(added.status, 200, "{}", added.body);
    assert_eq!(seats().await, 1, "in the same transaction as the membership");
    let removed = scim
        .send(
            "PATCH",
            &format!("/Groups/{group}"),
            Some(json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "members"}]})),
            &[],
        )
        .await;
    assert_eq!(removed.status, 200);
    assert_eq!(seats().await, 0);

    // Another organisation's group is invisible.
    app.add_other_org().await;
    app.exec("INSERT INTO user_groups (id, org_id, name, name_normalized, description, created_at) VALUES ('33333333-3333-4333-8333-333333333333', '11111111-1111-4111-8111-111111111111', 'Theirs', 'theirs', '', 0)", &[]).await;
    is_scim_error(&scim.get("/Groups/33333333-3333-4333-8333-333333333333").await, 404, None);
    is_scim_error(
        &scim
            .send(
                "PATCH",
                &format!("/Groups/{group}"),
                Some(json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "add", "path": "members", "value": [{"value": "33333333-3333-4333-8333-333333333333"}]}]})),
                &[],
            )
            .await,
        400,
        Some("invalidValue"),
    );
    assert_eq!(scim.get(&format!("/Groups?filter={}", urlencode(r#"displayName eq "theirs""#))).await.body["totalResults"], 0);
}

#[tokio::test]
async fn a_group_changed_in_the_admin_console_shows_when_in_its_scim_meta() {
    let app = spawn_app().await;
    let scim = Scim::new(&app).await;
    let group = scim.send("POST", "/Groups", Some(json!({"schemas": [GROUP], "displayName": "Console edited"})), &[]).await.body["id"]
        .as_str()
        .unwrap()
        .to_string();
    app.exec("UPDATE user_groups SET created_at = 0, updated_at = 0 WHERE id = $1", &[&group]).await;
    assert_eq!(scim.get(&format!("/Groups/{group}")).await.body["meta"]["lastModified"], "1970-01-01T00:00:00.000Z");
    let alex = app.user_id(EMPLOYEE).await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (_, html) = app.page(&morgan, "/").await;
    let res = morgan
        .post(app.url(&format!("/api/v1/admin/groups/{group}/members")))
        .header("x-csrf-token", csrf_in(&html))
        .json(&json!({"user_id": alex}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let after = scim.get(&format!("/Groups/{group}")).await.body;
    assert!(after["meta"]["lastModified"].as_str().unwrap().starts_with("20"), "{}", after["meta"]);
    assert_eq!(after["members"][0]["value"], alex.as_str());
}
