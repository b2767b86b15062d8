//! License seats: the set-based recompute in SQL gives exactly what the
//! domain's seat rule (`domain::licensing::allocate_seats`) gives, for
//! generated organisations of nested groups, memberships at different
//! times, direct and group assignments and seat counts.

use crate::helpers::*;
use app::domain::licensing::{allocate_seats, Claimant};
use app::ports::{AuditEvent, DirectoryStore, Principal};
use std::collections::HashMap;

/// A small deterministic generator (no dependency, the same every run).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) % below
    }
}

fn audit(app: &TestApp, at: i64) -> AuditEvent {
    AuditEvent {
        org_id: app.org_id.clone(),
        actor_user_id: None,
        actor_token_id: None,
        actor_label: "test".into(),
        action: "license.assigned".into(),
        target_type: "license".into(),
        target_id: String::new(),
        before_json: None,
        after_json: None,
        correlation_id: "seats".into(),
        at,
    }
}

#[tokio::test]
async fn seats_in_sql_follow_the_domain_rule_for_generated_organisations() {
    let app = spawn_app().await;
    let users = app.strings("SELECT id FROM users WHERE org_id = $1 ORDER BY id", &[&app.org_id]).await;
    for seed in 1..=6u64 {
        let mut rng = Lcg(seed);
        let license = format!("00000000-0000-4000-8000-0000000000{seed:02}");
        let seats = rng.next(16) as i64;
        app.exec(
            "INSERT INTO licenses (id, org_id, name, sku, seats, created_at) VALUES ($1, $2, $1, $1, CAST($3 AS BIGINT), 0)",
            &[&license, &app.org_id, &seats.to_string()],
        )
        .await;
        // Six groups, nested only downwards (acyclic), with members joining at various times.
        let groups: Vec<String> = (0..6).map(|g| format!("00000000-0000-4000-9{seed:03}-{g:012}")).collect();
        for (g, id) in groups.iter().enumerate() {
            let name = format!("seats-{seed}-{g}");
            app.exec(
                "INSERT INTO user_groups (id, org_id, name, name_normalized, created_at) VALUES ($1, $2, $3, $3, 0)",
                &[id, &app.org_id, &name],
            )
            .await;
        }
        let mut edges: Vec<(usize, usize, i64)> = Vec::new(); // (parent, member, added_at)
        for parent in 0..6 {
            for member in parent + 1..6 {
                if rng.next(3) == 0 {
                    let at = 100 + rng.next(50) as i64;
                    edges.push((parent, member, at));
                    app.exec(
                        "INSERT INTO group_group_members (org_id, group_id, member_group_id, added_at) VALUES ($1, $2, $3, CAST($4 AS BIGINT))",
                        &[&app.org_id, &groups[parent], &groups[member], &at.to_string()],
                    )
                    .await;
                }
            }
        }
        let mut members: Vec<(usize, usize, i64)> = Vec::new(); // (group, user, added_at)
        for (u, user) in users.iter().enumerate() {
            for (g, group) in groups.iter().enumerate() {
                if rng.next(5) == 0 {
                    let at = 100 + rng.next(50) as i64;
                    members.push((g, u, at));
                    app.exec(
                        "INSERT INTO group_user_members (org_id, group_id, user_id, added_at) VALUES ($1, $2, $3, CAST($4 AS BIGINT))",
                        &[&app.org_id, group, user, &at.to_string()],
                    )
                    .await;
                }
            }
        }
        // Assignments through the store (each recomputes): a few people
        // directly, then two groups.
        let mut assigned: Vec<(Principal, i64)> = Vec::new();
        for _ in 0..3 {
            assigned.push((Principal::User(users[rng.next(users.len() as u64) as usize].clone()), 100 + rng.next(50) as i64));
        }
        for _ in 0..2 {
            assigned.push((Principal::Group(groups[rng.next(6) as usize].clone()), 100 + rng.next(50) as i64));
        }
        for (to, at) in &assigned {
            app.server_store.add_license_assignment(&app.org_id, &license, to, audit(&app, *at)).await.unwrap();
        }

        // The rule, in Rust: every path from an assigned group down to a
        // member, effective from the latest step on it.
        fn reach(g: usize, since: i64, edges: &[(usize, usize, i64)], members: &[(usize, usize, i64)], out: &mut Vec<(usize, i64)>) {
            for (group, user, at) in members.iter().filter(|m| m.0 == g) {
                let _ = group;
                out.push((*user, since.max(*at)));
            }
            for (_, member, at) in edges.iter().filter(|e| e.0 == g) {
                reach(*member, since.max(*at), edges, members, out);
            }
        }
        let mut claims: Vec<(usize, i64)> = Vec::new();
        let mut seen_assignment: HashMap<String, ()> = HashMap::new();
        for (to, at) in &assigned {
            match to {
                Principal::User(id) if seen_assignment.insert(format!("u{id}"), ()).is_none() => {
                    claims.push((users.iter().position(|u| u == id).unwrap(), *at));
                }
                Principal::Group(id) if seen_assignment.insert(format!("g{id}"), ()).is_none() => {
                    reach(groups.iter().position(|g| g == id).unwrap(), *at, &edges, &members, &mut claims);
                }
                _ => {} // assigned twice: the second changed nothing
            }
        }
        let claimants: Vec<Claimant> = claims.iter().map(|(u, at)| Claimant { user_id: users[*u].clone(), effective_at: *at }).collect();
        let mut earliest: HashMap<String, i64> = HashMap::new();
        for c in &claimants {
            let e = earliest.entry(c.user_id.clone()).or_insert(c.effective_at);
            *e = (*e).min(c.effective_at);
        }
        let expected = allocate_seats(seats, claimants);
        let expected_holders: Vec<String> = {
            let mut h: Vec<String> = expected.iter().filter(|(_, seat)| *seat).map(|(user, _)| user.clone()).collect();
            h.sort();
            h
        };
        // Each user's own view (the read behind launches and the admin's
        // user page): claimants see the license, with a seat or without;
        // nobody else sees it.
        let mut seen: Vec<(String, bool)> = Vec::new();
        for user in &users {
            if let Some(has_seat) = app.seat_of(user, &license).await {
                seen.push((user.clone(), has_seat));
            }
        }
        let mut expected_seen = expected.clone();
        expected_seen.sort();
        assert_eq!(seen, expected_seen, "seed {seed}: {seats} seats (earliest claims {earliest:?})");
        assert!(!expected.is_empty(), "seed {seed} generated claimants");
        assert_eq!(app.seat_holders(&license).await, expected_holders, "seed {seed}");
        let counted = app.scalar_i64("SELECT claimants FROM licenses WHERE id = $1", &[&license]).await;
        assert_eq!(counted, expected.len() as i64, "seed {seed}: every claimant counted once");

        // Removing a group frees its seats for the next in order.
        if let Some((to, _)) = assigned.iter().rev().find(|(p, _)| matches!(p, Principal::Group(_))) {
            app.server_store.remove_license_assignment(&app.org_id, &license, to, audit(&app, 200)).await.unwrap();
            let holders = app.seat_holders(&license).await.len() as i64;
            let claimants = app.scalar_i64("SELECT claimants FROM licenses WHERE id = $1", &[&license]).await;
            assert_eq!(holders, claimants.min(seats), "seed {seed}: seats go to claimants up to the count");
        }
    }
}

#[tokio::test]
async fn licenses_are_managed_with_seats_that_move_at_once() {
    use serde_json::json;
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (_, html) = app.page(&morgan, "/").await;
    let token = csrf_in(&html);
    let send = |method: reqwest::Method, path: &str, body: Option<serde_json::Value>| {
        let mut req = morgan.request(method, app.url(path)).header("x-csrf-token", &token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send()
    };
    use reqwest::Method;

    // Only privileged admins.
    let sam = app.signed_in(APP_ADMIN).await;
    let (status, body) = json_of(sam.get(app.url("/api/v1/admin/licenses")).send().await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (403, Some("privileged_admin_required")));

    let (status, created) = json_of(
        send(Method::POST, "/api/v1/admin/licenses", Some(json!({"name": "Wiki Pro", "sku": "wiki_pro", "seats": 1}))).await.unwrap(),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!((created["sku"].as_str(), created["seats_used"].as_i64()), (Some("WIKI_PRO"), Some(0)));
    let id = created["id"].as_str().unwrap().to_string();
    let (status, taken) =
        json_of(send(Method::POST, "/api/v1/admin/licenses", Some(json!({"name": "Again", "sku": "WIKI_PRO", "seats": 1}))).await.unwrap())
            .await;
    assert_eq!(status, 422);
    assert!(taken["error"]["fields"]["sku"].as_str().unwrap().contains("product code"), "{taken}");

    // Finance (several people) gets it with one seat: one holds it, the rest are flagged.
    let finance = app.strings("SELECT id FROM user_groups WHERE name = 'Finance'", &[]).await.remove(0);
    let people = app.scalar_i64("SELECT COUNT(*) FROM group_user_members WHERE group_id = $1", &[&finance]).await;
    let (status, assigned) =
        json_of(send(Method::POST, &format!("/api/v1/admin/licenses/{id}/assignments"), Some(json!({"group_id": finance}))).await.unwrap())
            .await;
    assert_eq!(status, 200, "{assigned}");
    assert_eq!((assigned["license"]["seats_used"].as_i64(), assigned["license"]["without_seat"].as_i64()), (Some(1), Some(people - 1)));
    let (_, flagged) = json_of(morgan.get(app.url(&format!("/api/v1/admin/licenses/{id}/without-seat"))).send().await.unwrap()).await;
    assert_eq!(flagged["users"].as_array().unwrap().len() as i64, people - 1);

    // More seats: everyone holds one, at once.
    let (status, more) =
        json_of(send(Method::PATCH, &format!("/api/v1/admin/licenses/{id}"), Some(json!({"seats": 100}))).await.unwrap()).await;
    assert_eq!((status, more["seats_used"].as_i64(), more["without_seat"].as_i64()), (200, Some(people), Some(0)));
    let (status, bad) =
        json_of(send(Method::PATCH, &format!("/api/v1/admin/licenses/{id}"), Some(json!({"seats": -3}))).await.unwrap()).await;
    assert_eq!((status, bad["error"]["fields"]["seats"].is_string()), (422, true));

    // An app that requires it holds its deletion back.
    let (_, wiki) = json_of(
        send(
            Method::POST,
            "/api/v1/admin/apps",
            Some(json!({"name": "Wiki", "launch_url": "https://wiki.example/", "required_license_id": id})),
        )
        .await
        .unwrap(),
    )
    .await;
    let (status, body) = json_of(send(Method::DELETE, &format!("/api/v1/admin/licenses/{id}"), None).await.unwrap()).await;
    assert_eq!((status, body["error"]["code"].as_str()), (409, Some("license_required_by_apps")));
    assert!(body["error"]["message"].as_str().unwrap().contains("Wiki"));
    let wiki_id = wiki["id"].as_str().unwrap();
    send(Method::PATCH, &format!("/api/v1/admin/apps/{wiki_id}"), Some(json!({"required_license_id": ""}))).await.unwrap();

    let (status, _) =
        json_of(send(Method::DELETE, &format!("/api/v1/admin/licenses/{id}/assignments/groups/{finance}"), None).await.unwrap()).await;
    assert_eq!(status, 204);
    assert_eq!(app.scalar_i64("SELECT claimants FROM licenses WHERE id = $1", &[&id]).await, 0);
    assert!(app.seat_holders(&id).await.is_empty());
    let (status, _) = json_of(send(Method::DELETE, &format!("/api/v1/admin/licenses/{id}"), None).await.unwrap()).await;
    assert_eq!(status, 204);
    let actions = app.strings("SELECT action FROM audit_events WHERE target_id = $1 ORDER BY created_at, id", &[&id]).await;
    assert_eq!(actions, ["license.created", "license.assigned", "license.updated", "license.unassigned", "license.deleted"]);
    assert_eq!(json_of(morgan.get(app.url(&format!("/api/v1/admin/licenses/{id}"))).send().await.unwrap()).await.0, 404);
}

#[tokio::test]
async fn the_licenses_pages_work_with_plain_forms() {
    let app = spawn_app().await;
    let morgan = app.signed_in(PRIVILEGED_ADMIN).await;
    let (status, list) = app.page(&morgan, "/admin/licenses").await;
    assert_eq!(status, 200);
    assert!(list.contains("Office Suite E3") && list.contains("OFFICE_E3"), "{list}");
    let sam = app.signed_in(APP_ADMIN).await;
    let (_, refused) = app.page(&sam, "/admin/licenses").await;
    assert!(refused.contains("privileged admin role"), "{refused}");

    let res = app
        .post_form(&morgan, "/admin/licenses/new", "/admin/licenses/new", &[("name", "Board"), ("sku", "board"), ("seats", "two")])
        .await;
    let back = location(&res);
    assert!(back.contains("seats%3Aout_of_range"), "{back}");
    let (_, form) = app.page(&morgan, &back).await;
    assert!(form.contains("Seats go from 0 to 10,000,000.") && form.contains("value=\"two\""), "{form}");
    let res = app
        .post_form(&morgan, "/admin/licenses/new", "/admin/licenses/new", &[("name", "Board"), ("sku", "office_e3"), ("seats", "2")])
        .await;
    let back = location(&res);
    assert!(back.contains("sku%3Ataken"), "{back}");
    let (_, form) = app.page(&morgan, &back).await;
    assert!(form.contains("already has a license with this product code"), "{form}");

    let res =
        app.post_form(&morgan, "/admin/licenses/new", "/admin/licenses/new", &[("name", "Board"), ("sku", "board"), ("seats", "1")]).await;
    let created = location(&res);
    assert!(created.ends_with("?done=created"), "{created}");
    let id = created.trim_start_matches("/admin/licenses/").split('?').next().unwrap().to_string();
    let page = format!("/admin/licenses/{id}?add=sales");
    let (_, found) = app.page(&morgan, &page).await;
    assert!(found.contains("Assign to the group Sales EMEA"), "{found}");
    let sales = app.strings("SELECT id FROM user_groups WHERE name = 'Sales'", &[]).await.remove(0);
    let res =
        app.post_form(&morgan, &page, &format!("/admin/licenses/{id}/assignments"), &[("group_id", &sales), ("return_to", &page)]).await;
    assert_eq!(location(&res), format!("{page}&done=license_assigned"));
    let (_, shown) = app.page(&morgan, &format!("/admin/licenses/{id}")).await;
    assert!(shown.contains("Not enough seats") && shown.contains("without a seat"), "one seat for all of Sales: {shown}");
    let res = app
        .post_form(
            &morgan,
            &format!("/admin/licenses/{id}/edit"),
            &format!("/admin/licenses/{id}/edit"),
            &[("name", "Board"), ("sku", "BOARD"), ("seats", "100")],
        )
        .await;
    assert_eq!(location(&res), format!("/admin/licenses/{id}?done=saved"));
    let (_, shown) = app.page(&morgan, &format!("/admin/licenses/{id}")).await;
    assert!(shown.contains("Everyone it reaches holds a seat."), "{shown}");
    let res = app.post_form(&morgan, &format!("/admin/licenses/{id}?confirm=delete"), &format!("/admin/licenses/{id}/delete"), &[]).await;
    assert_eq!(location(&res), "/admin/licenses?done=deleted");
}
