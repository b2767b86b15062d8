//! Who may reach what in the admin area: one table of every admin page and
//! admin API route with the answer each kind of caller gets, walked whole.
//! Reads are asked as they are; changes are sent with an empty body, so a
//! caller who may make them gets a validation answer (422) and nothing is
//! written — which also shows that authorisation comes before validation.
//! (API tokens and SCIM join the table when they exist.)

use crate::helpers::*;

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Caller {
    Anonymous,
    Employee,
    AppAdmin,
    PrivilegedAdmin,
    /// A privileged admin of another organisation.
    OtherOrgAdmin,
}

const CALLERS: [Caller; 5] = [Caller::Anonymous, Caller::Employee, Caller::AppAdmin, Caller::PrivilegedAdmin, Caller::OtherOrgAdmin];

/// The status each caller gets, in `CALLERS` order.
type Expected = [u16; 5];

/// Apps, assignments and the logs: every admin. Users, groups, licenses: privileged
/// admins. An id of another organisation is not found.
const APP_READ: Expected = [401, 403, 200, 200, 404];
const APP_LIST: Expected = [401, 403, 200, 200, 200];
const APP_CHANGE: Expected = [401, 403, 422, 422, 404];
const APP_CREATE: Expected = [401, 403, 422, 422, 422];
const PRIV_READ: Expected = [401, 403, 403, 200, 404];
const PRIV_LIST: Expected = [401, 403, 403, 200, 200];
const PRIV_CHANGE: Expected = [401, 403, 403, 422, 404];
const PRIV_CREATE: Expected = [401, 403, 403, 422, 422];
const PAGE: Expected = [303, 403, 200, 200, 200];

#[tokio::test]
async fn every_admin_route_answers_each_kind_of_caller_as_the_table_says() {
    let app = spawn_app().await;
    let (mail, alex) = (app.app_id("Mail").await, app.user_id(EMPLOYEE).await);
    let engineering = app.strings("SELECT id FROM user_groups WHERE name = 'Engineering'", &[]).await.remove(0);
    let office = app.strings("SELECT id FROM licenses WHERE sku = 'OFFICE_E3'", &[]).await.remove(0);
    app.add_other_org().await;

    let table: Vec<(&str, String, Expected)> = vec![
        ("GET", "/api/v1/admin/apps".into(), APP_LIST),
        ("POST", "/api/v1/admin/apps".into(), APP_CREATE),
        ("GET", format!("/api/v1/admin/apps/{mail}"), APP_READ),
        ("PATCH", format!("/api/v1/admin/apps/{mail}"), APP_CHANGE),
        ("GET", format!("/api/v1/admin/apps/{mail}/assignments"), APP_READ),
        ("GET", format!("/api/v1/admin/apps/{mail}/access"), APP_READ),
        ("GET", "/api/v1/admin/users".into(), PRIV_LIST),
        ("POST", "/api/v1/admin/users".into(), PRIV_CREATE),
        ("GET", format!("/api/v1/admin/users/{alex}"), PRIV_READ),
        ("PATCH", format!("/api/v1/admin/users/{alex}"), PRIV_CHANGE),
        ("GET", "/api/v1/admin/groups".into(), PRIV_LIST),
        ("POST", "/api/v1/admin/groups".into(), PRIV_CREATE),
        ("GET", format!("/api/v1/admin/groups/{engineering}"), PRIV_READ),
        ("PATCH", format!("/api/v1/admin/groups/{engineering}"), PRIV_CHANGE),
        ("GET", format!("/api/v1/admin/groups/{engineering}/members"), PRIV_READ),
        ("GET", "/api/v1/admin/licenses".into(), PRIV_LIST),
        ("POST", "/api/v1/admin/licenses".into(), PRIV_CREATE),
        ("GET", format!("/api/v1/admin/licenses/{office}"), PRIV_READ),
        ("PATCH", format!("/api/v1/admin/licenses/{office}"), PRIV_CHANGE),
        ("GET", format!("/api/v1/admin/licenses/{office}/without-seat"), PRIV_READ),
        ("GET", "/admin".into(), PAGE),
        ("GET", "/admin/apps".into(), PAGE),
        ("GET", "/admin/users".into(), PAGE),
        ("GET", "/admin/groups".into(), PAGE),
        ("GET", "/admin/licenses".into(), PAGE),
        ("GET", "/admin/check-access".into(), PAGE),
        ("GET", "/api/v1/admin/sign-ins".into(), APP_LIST),
        ("GET", "/api/v1/admin/sign-ins/export.csv".into(), APP_LIST),
        ("GET", "/api/v1/admin/audit-events".into(), APP_LIST),
        ("GET", "/api/v1/admin/audit-events/export.csv".into(), APP_LIST),
        ("GET", "/admin/sign-ins".into(), PAGE),
        ("GET", "/admin/audit".into(), PAGE),
    ];

    for caller in CALLERS {
        let client = match caller {
            Caller::Anonymous => browser(),
            Caller::Employee => app.signed_in(EMPLOYEE).await,
            Caller::AppAdmin => app.signed_in(APP_ADMIN).await,
            Caller::PrivilegedAdmin => app.signed_in(PRIVILEGED_ADMIN).await,
            Caller::OtherOrgAdmin => app.signed_in(OTHER_ORG_ADMIN).await,
        };
        // Every caller sends a valid CSRF token (an anonymous browser has one
        // too), so what answers is the authorisation.
        let token = csrf_in(&app.page(&client, if caller == Caller::Anonymous { "/sign-in" } else { "/" }).await.1);
        let column = CALLERS.iter().position(|c| *c == caller).unwrap();
        for (method, path, expected) in &table {
            let mut req = client.request(method.parse().unwrap(), app.url(path)).header("x-csrf-token", &token);
            if path.starts_with("/admin") {
                req = req.header("accept", "text/html");
            } else if *method != "GET" {
                req = req.json(&serde_json::json!({ "name": "" , "upn": "", "sku": "", "display_name": "" }));
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected[column], "{caller:?} {method} {path}");
        }
    }
    let written = app.strings("SELECT action FROM audit_events WHERE action <> 'organisation.seeded_demo'", &[]).await;
    assert!(written.is_empty(), "nothing was changed: {written:?}");
}
