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
        let mut expected: Vec<String> =
            allocate_seats(seats, claimants).into_iter().map(|(user, seat)| format!("{user}:{}:{seat}", earliest[&user])).collect();
        expected.sort();
        let mut actual = app
            .strings(
                "SELECT user_id || ':' || CAST(effective_at AS TEXT) || ':' || CASE WHEN has_seat THEN 'true' ELSE 'false' END \
                 FROM license_seats WHERE license_id = $1",
                &[&license],
            )
            .await;
        actual.sort();
        assert_eq!(actual, expected, "seed {seed}: {seats} seats");
        assert!(!expected.is_empty(), "seed {seed} generated claimants");

        // Removing a group frees its seats for the next in order.
        if let Some((to, _)) = assigned.iter().rev().find(|(p, _)| matches!(p, Principal::Group(_))) {
            app.server_store.remove_license_assignment(&app.org_id, &license, to, audit(&app, 200)).await.unwrap();
            let holders = app.scalar_i64("SELECT COUNT(*) FROM license_seats WHERE license_id = $1 AND has_seat", &[&license]).await;
            let claimants = app.scalar_i64("SELECT COUNT(*) FROM license_seats WHERE license_id = $1", &[&license]).await;
            assert_eq!(holders, claimants.min(seats), "seed {seed}: seats go to claimants up to the count");
        }
    }
}
