//! The admin area's groups: who may manage them, create / edit / delete
//! with audit events, members that are users or groups, cycles refused with
//! the chain named, effective member counts, seats moved by a deletion, and
//! nothing across organisations.

use crate::helpers::*;
use app::ports::{DirectoryStore, MemberAdded, Principal};
use serde_json::json;

async fn admin_client(app: &TestApp, upn: &str) -> (reqwest::Client, String) {
    let client = app.signed_in(upn).await;
    let (_, html) = app.page(&client, "/").await;
    (client, csrf_in(&html))
}

async fn group_id(app: &TestApp, name: &str) -> String {
    app.strings("SELECT id FROM user_groups WHERE name = $1", &[name]).await.into_iter().next().expect("demo group exists")
}

async fn morgan(app: &TestApp) -> Api<'_> {
    let (client, token) = admin_client(app, PRIVILEGED_ADMIN).await;
    Api { app, client, token }
}

#[tokio::test]
async fn only_privileged_admins_manage_groups() {
    let app = spawn_app().await;
    let (status, body) = json_of(browser().get(app.url("/api/v1/admin/groups")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("sign_in_required")));

    let (alex, alex_token) = admin_client(&app, EMPLOYEE).await;
    let (status, body) = json_of(alex.get(app.url("/api/v1/admin/groups")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("admin_required")));
    assert_eq!(app.page(&alex, "/admin/groups").await.0, 403);

    let (sam, sam_token) = admin_client(&app, APP_ADMIN).await;
    let (status, body) = json_of(sam.get(app.url("/api/v1/admin/groups")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("privileged_admin_required")));
    for (client, token) in [(&alex, &alex_token), (&sam, &sam_token)] {
        let res = client.post(app.url("/api/v1/admin/groups")).header("x-csrf-token", token).json(&json!({"name": "Sneaky"})).send();
        assert!(matches!(res.await.unwrap().status().as_u16(), 403));
    }
    let (_, page) = app.page(&sam, "/admin").await;
    assert!(!page.contains("href=\"/admin/groups\""), "app admins are not offered the groups pages");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_groups WHERE name = 'Sneaky'", &[]).await, 0);
}

#[tokio::test]
async fn groups_are_created_found_edited_and_deleted_with_audit_events() {
    let app = spawn_app().await;
    let api = morgan(&app).await;

    let (status, created) = api.post("/api/v1/admin/groups", json!({"name": "  Finance Ops ", "description": "Month end"})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((created["name"].as_str(), created["effective_users"].as_i64()), (Some("Finance Ops"), Some(0)));
    let id = created["id"].as_str().unwrap().to_string();

    // Names are unique whatever the case; every problem is named by field.
    let (status, taken) = api.post("/api/v1/admin/groups", json!({"name": "FINANCE OPS"})).await;
    assert_eq!((status, taken["error"]["code"].as_str()), (422, Some("validation_failed")));
    assert!(taken["error"]["fields"]["name"].as_str().unwrap().contains("already has a group"), "{taken}");
    let (status, bad) = api.post("/api/v1/admin/groups", json!({"name": " ", "description": "x".repeat(1001)})).await;
    assert_eq!(status, 422);
    assert!(bad["error"]["fields"]["name"].is_string() && bad["error"]["fields"]["description"].is_string(), "{bad}");

    let (_, found) = api.get("/api/v1/admin/groups?search=FIN").await;
    let names: Vec<&str> = found["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Finance", "Finance Ops"]);

    // Paging by cursor sees every group once.
    let total = app.scalar_i64("SELECT COUNT(*) FROM user_groups WHERE org_id = $1", &[&app.org_id]).await;
    let (mut seen, mut cursor) = (Vec::new(), None::<String>);
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/admin/groups?limit=3&cursor={c}"),
            None => "/api/v1/admin/groups?limit=3".into(),
        };
        let (status, page) = api.get(&path).await;
        assert_eq!(status, 200);
        seen.extend(page["groups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap().to_lowercase()));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.into()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!((seen.len() as i64, &seen), (total, &sorted));
    let (status, _) = api.get("/api/v1/admin/groups?cursor=not-ours!").await;
    assert_eq!(status, 400);

    // An edit keeps what it leaves out.
    let (status, edited) = api.patch(&format!("/api/v1/admin/groups/{id}"), json!({"description": "Month-end close"})).await;
    assert_eq!(status, 200, "{edited}");
    assert_eq!((edited["name"].as_str(), edited["description"].as_str()), (Some("Finance Ops"), Some("Month-end close")));
    let (status, _) = api.patch(&format!("/api/v1/admin/groups/{id}"), json!({"name": "finance"})).await;
    assert_eq!(status, 422, "renaming onto another group's name is refused");

    let (status, _) = api.delete(&format!("/api/v1/admin/groups/{id}")).await;
    assert_eq!(status, 204);
    assert_eq!(api.get(&format!("/api/v1/admin/groups/{id}")).await.0, 404);
    assert_eq!(api.delete(&format!("/api/v1/admin/groups/{id}")).await.0, 404);
    assert_eq!(api.get("/api/v1/admin/groups/not-an-id").await.0, 404);

    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&id]).await;
    assert_eq!(actions, ["group.created", "group.updated", "group.deleted"]);
}

#[tokio::test]
async fn a_nesting_that_would_close_a_cycle_is_refused_naming_the_chain() {
    let app = spawn_app().await;
    let api = morgan(&app).await;
    let (engineering, platform) = (group_id(&app, "Engineering").await, group_id(&app, "Platform Team").await);
    let edges = app.scalar_i64("SELECT COUNT(*) FROM group_group_members", &[]).await;

    // Platform Team is inside Engineering: Engineering can't go inside it.
    let (status, refused) = api.post(&format!("/api/v1/admin/groups/{platform}/members"), json!({"group_id": engineering})).await;
    assert_eq!((status, refused["error"]["code"].as_str()), (409, Some("would_close_cycle")), "{refused}");
    assert_eq!(
        refused["error"]["message"],
        "“Engineering” can't become a member of “Platform Team”: “Platform Team” is already inside “Engineering” \
         (Platform Team → Engineering), so that would make a loop."
    );
    // A longer chain: Engineering inside a new "Product" group, then Product
    // into Platform Team.
    let (_, product) = api.post("/api/v1/admin/groups", json!({"name": "Product"})).await;
    let product = product["id"].as_str().unwrap().to_string();
    let (status, _) = api.post(&format!("/api/v1/admin/groups/{product}/members"), json!({"group_id": engineering})).await;
    assert_eq!(status, 200);
    let (status, refused) = api.post(&format!("/api/v1/admin/groups/{platform}/members"), json!({"group_id": product})).await;
    assert_eq!(status, 409);
    assert!(refused["error"]["message"].as_str().unwrap().contains("(Platform Team → Engineering → Product)"), "{refused}");
    let (status, refused) = api.post(&format!("/api/v1/admin/groups/{product}/members"), json!({"group_id": product})).await;
    assert_eq!((status, refused["error"]["message"].as_str()), (409, Some("“Product” can't be a member of itself.")));
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM group_group_members", &[]).await, edges + 1, "only the allowed nesting");

    // The page says it too, with the names.
    let res = app
        .post_form(
            &api.client,
            &format!("/admin/groups/{platform}"),
            &format!("/admin/groups/{platform}/members"),
            &[("group_id", &engineering)],
        )
        .await;
    let back = location(&res);
    assert!(back.starts_with(&format!("/admin/groups/{platform}?cycle=")), "{back}");
    let (_, page) = app.page(&api.client, &back).await;
    assert!(page.contains("is already inside “Engineering” (Platform Team → Engineering)"), "{page}");
}

#[tokio::test]
async fn two_nestings_that_together_close_a_cycle_do_not_both_pass() {
    let app = spawn_app().await;
    let (finance, marketing) = (group_id(&app, "Finance").await, group_id(&app, "Marketing").await);
    let audit = app::ports::AuditEvent {
        org_id: app.org_id.clone(),
        actor_user_id: None,
        actor_token_id: None,
        actor_label: "test".into(),
        action: "group.member_added".into(),
        target_type: "group".into(),
        target_id: marketing.clone(),
        before_json: None,
        after_json: None,
        correlation_id: "cycle-race".into(),
        at: 1,
    };
    // One nesting (Marketing into Finance) is mid-way: written, not yet
    // committed, holding what the store's nesting holds. The other (Finance
    // into Marketing) starts meanwhile: it must wait and then see the first,
    // not pass its check against the graph without it.
    let postgres = matches!(app.store.pool, server::store::Pool::Postgres(_));
    server::on_pool!(&app.store.pool, p => {
        let mut first = p.begin().await.unwrap();
        if postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('group-nesting:' || $1))")
                .bind(&app.org_id).execute(&mut *first).await.unwrap();
        }
        sqlx::query("INSERT INTO group_group_members (org_id, group_id, member_group_id, added_at) VALUES ($1, $2, $3, 1)")
            .bind(&app.org_id).bind(&finance).bind(&marketing).execute(&mut *first).await.unwrap();
        let store = app.server_store.clone();
        let (org, into, member) = (app.org_id.clone(), marketing.clone(), finance.clone());
        let second = tokio::spawn(async move { store.add_group_member(&org, &into, &Principal::Group(member), audit).await });
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "the second nesting waits for the first");
        first.commit().await.unwrap();
        match second.await.unwrap().unwrap() {
            MemberAdded::WouldCloseCycle(chain) => {
                assert_eq!(chain.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["Marketing", "Finance"]);
            }
            other => panic!("the second nesting closed a cycle: {other:?}"),
        }
    });
    let edges = "SELECT COUNT(*) FROM group_group_members WHERE group_id IN ($1, $2) AND member_group_id IN ($1, $2)";
    assert_eq!(app.scalar_i64(edges, &[&finance, &marketing]).await, 1);
}

#[tokio::test]
async fn members_are_users_or_groups_and_count_once_through_nesting() {
    let app = spawn_app().await;
    let api = morgan(&app).await;
    let engineering = group_id(&app, "Engineering").await;
    let (_, before) = api.get(&format!("/api/v1/admin/groups/{engineering}")).await;
    let effective = before["effective_users"].as_i64().unwrap();
    assert!(effective > 0 && before["direct_groups"] == 2, "{before}");

    // A new group with a new person, Sam (from Sales) and Alex (in
    // Engineering already, through Platform Team), nested into Engineering:
    // each counts once, and Sam gets Engineering's apps at once.
    let tracker = app.app_id("Issue Tracker").await; // assigned to Engineering
    let sam_client = app.signed_in(APP_ADMIN).await;
    assert!(app.launch(&sam_client, &tracker).await.starts_with("/launch-refused"), "Sam is not in Engineering yet");
    let (_, contractors) = api.post("/api/v1/admin/groups", json!({"name": "Contractors"})).await;
    let contractors = contractors["id"].as_str().unwrap().to_string();
    let (_, created) = api.post("/api/v1/admin/users", json!({"upn": "kim@northwind.example", "display_name": "Kim Contractor"})).await;
    let kim = created["user"]["summary"]["id"].as_str().expect("the created user").to_string();
    let members = format!("/api/v1/admin/groups/{contractors}/members");
    let (status, added) = api.post(&members, json!({"user_id": kim})).await;
    assert_eq!((status, added["changed"].as_bool()), (200, Some(true)));
    let (_, again) = api.post(&members, json!({"user_id": kim})).await;
    assert_eq!(again["changed"], false, "already a member");
    let (sam, alex) = (app.user_id(APP_ADMIN).await, app.user_id(EMPLOYEE).await);
    for user in [&sam, &alex] {
        assert_eq!(api.post(&members, json!({"user_id": user})).await.0, 200);
    }
    let (status, nested) = api.post(&format!("/api/v1/admin/groups/{engineering}/members"), json!({"group_id": contractors})).await;
    assert_eq!(status, 200, "{nested}");
    assert_eq!(nested["group"]["effective_users"].as_i64().unwrap(), effective + 2, "Kim and Sam count once, Alex not twice");
    assert!(nested["group"]["member_groups"].as_array().unwrap().iter().any(|g| g["name"] == "Contractors"));
    assert_eq!(app.launch(&sam_client, &tracker).await, "https://issues.tailspin.example/");

    // Members, paged; removal; what is not a member.
    let (_, page) = api.get(&format!("{members}?limit=1")).await;
    assert_eq!(page["users"].as_array().unwrap().len(), 1);
    let cursor = page["next_cursor"].as_str().expect("a second page").to_string();
    let (_, second) = api.get(&format!("{members}?limit=1&cursor={cursor}")).await;
    assert_ne!(second["users"][0]["id"], page["users"][0]["id"]);
    let (status, _) = api.delete(&format!("{members}/users/{sam}")).await;
    assert_eq!(status, 204);
    let (status, body) = api.delete(&format!("{members}/users/{sam}")).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_a_member")));
    assert!(app.launch(&sam_client, &tracker).await.starts_with("/launch-refused"), "removal takes effect at once");
    let (status, body) = api.post(&members, json!({"user_id": "33333333-3333-4333-8333-333333333333"})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("user_not_found")));
    let (status, body) = api.post(&members, json!({"user_id": kim, "group_id": engineering})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("member_required")));
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&contractors]).await;
    assert_eq!(actions.iter().filter(|a| *a == "group.member_added").count(), 3, "the repeated add changed nothing");
    assert_eq!(actions.iter().filter(|a| *a == "group.member_removed").count(), 1);
}

#[tokio::test]
async fn deleting_a_group_frees_the_seats_it_gave_in_the_same_change() {
    let app = spawn_app().await;
    let api = morgan(&app).await;
    let marketing = group_id(&app, "Marketing").await;
    let design = app.strings("SELECT id FROM licenses WHERE sku = 'DESIGN_PRO'", &[]).await.remove(0);
    assert!(!app.seat_holders(&design).await.is_empty());
    let (status, _) = api.delete(&format!("/api/v1/admin/groups/{marketing}")).await;
    assert_eq!(status, 204);
    assert!(app.seat_holders(&design).await.is_empty());
    assert_eq!(app.scalar_i64("SELECT claimants FROM licenses WHERE id = $1", &[&design]).await, 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM license_assignments WHERE group_id = $1", &[&marketing]).await, 0);
    let before = app.strings("SELECT before_json FROM audit_events WHERE action = 'group.deleted' AND target_id = $1", &[&marketing]).await;
    assert!(before[0].contains("Design Pro"), "the audit event keeps what the group gave: {}", before[0]);
}

#[tokio::test]
async fn the_groups_pages_work_with_plain_forms() {
    let app = spawn_app().await;
    let (morgan, _) = admin_client(&app, PRIVILEGED_ADMIN).await;
    let (status, list) = app.page(&morgan, "/admin/groups?q=eng").await;
    assert_eq!(status, 200);
    assert!(list.contains("Engineering") && !list.contains("Marketing"), "{list}");

    let res = app.post_form(&morgan, "/admin/groups/new", "/admin/groups/new", &[("name", "engineering"), ("description", "")]).await;
    let back = location(&res);
    assert!(back.starts_with("/admin/groups/new?") && back.contains("errors=name%3Ataken"), "{back}");
    let (_, form) = app.page(&morgan, &back).await;
    assert!(form.contains("already has a group with this name") && form.contains("value=\"engineering\""), "{form}");

    let res =
        app.post_form(&morgan, "/admin/groups/new", "/admin/groups/new", &[("name", "Field Sales"), ("description", "On the road")]).await;
    let created = location(&res);
    assert!(created.ends_with("?done=created"), "{created}");
    let id = created.trim_start_matches("/admin/groups/").split('?').next().unwrap().to_string();

    // Find a person to add, add them, see them listed.
    let (_, search) = app.page(&morgan, &format!("/admin/groups/{id}?add=alex")).await;
    assert!(search.contains("Add Alex Wu"), "{search}");
    let alex = app.user_id(EMPLOYEE).await;
    let here = format!("/admin/groups/{id}?add=alex");
    let res = app.post_form(&morgan, &here, &format!("/admin/groups/{id}/members"), &[("user_id", &alex), ("return_to", &here)]).await;
    assert_eq!(location(&res), format!("/admin/groups/{id}?add=alex&done=member_added"));
    let (_, page) = app.page(&morgan, &format!("/admin/groups/{id}")).await;
    assert!(page.contains(EMPLOYEE) && page.contains("1 person"), "{page}");

    let res = app
        .post_form(
            &morgan,
            &format!("/admin/groups/{id}/edit"),
            &format!("/admin/groups/{id}/edit"),
            &[("name", "Field Sales"), ("description", "Line one\nLine two")],
        )
        .await;
    assert_eq!(location(&res), format!("/admin/groups/{id}?done=saved"));

    let (_, confirm) = app.page(&morgan, &format!("/admin/groups/{id}?confirm=delete")).await;
    assert!(confirm.contains("Delete Field Sales?"), "{confirm}");
    let res = app.post_form(&morgan, &format!("/admin/groups/{id}?confirm=delete"), &format!("/admin/groups/{id}/delete"), &[]).await;
    assert_eq!(location(&res), "/admin/groups?done=group_deleted");
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_groups WHERE id = $1", &[&id]).await, 0);
}

#[tokio::test]
async fn an_admin_of_one_organisation_cannot_see_or_change_anothers_groups() {
    let app = spawn_app().await;
    let api = morgan(&app).await;
    let other_org = "11111111-1111-4111-8111-111111111111";
    let stranger_group = "44444444-4444-4444-8444-444444444444";
    let stranger = "22222222-2222-4222-8222-222222222222";
    app.exec("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Elsewhere', 0)", &[other_org]).await;
    app.exec(
        "INSERT INTO user_groups (id, org_id, name, name_normalized, description, created_at) VALUES ($1, $2, 'Their Team', 'their team', '', 0)",
        &[stranger_group, other_org],
    )
    .await;
    app.exec(
        "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, created_at, updated_at) \
         VALUES ($1, $2, 'pat@elsewhere.example', 'pat@elsewhere.example', 'Pat Elsewhere', 0, 0)",
        &[stranger, other_org],
    )
    .await;
    let finance = group_id(&app, "Finance").await;
    assert_eq!(api.get(&format!("/api/v1/admin/groups/{stranger_group}")).await.0, 404);
    assert_eq!(api.patch(&format!("/api/v1/admin/groups/{stranger_group}"), json!({"name": "Mine"})).await.0, 404);
    assert_eq!(api.delete(&format!("/api/v1/admin/groups/{stranger_group}")).await.0, 404);
    assert_eq!(api.get(&format!("/api/v1/admin/groups/{stranger_group}/members")).await.0, 404);
    let (status, body) = api.post(&format!("/api/v1/admin/groups/{finance}/members"), json!({"group_id": stranger_group})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("group_not_found")));
    let (status, body) = api.post(&format!("/api/v1/admin/groups/{finance}/members"), json!({"user_id": stranger})).await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("user_not_found")));
    let (_, found) = api.get("/api/v1/admin/groups?search=their").await;
    assert_eq!(found["groups"].as_array().unwrap().len(), 0);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_groups WHERE id = $1 AND name = 'Their Team'", &[stranger_group]).await, 1);
}
