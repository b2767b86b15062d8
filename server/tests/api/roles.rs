//! Who may reach what in the admin area: one table of every admin page and
//! admin API route with the answer each kind of caller gets, walked whole.
//! Reads are asked as they are; changes are sent with an empty body, so a
//! caller who may make them gets a validation answer (422) and nothing is
//! written — which also shows that authorisation comes before validation.
//! Server functions (the pages' reads) are in the table as the pages call
//! them. API tokens are sent as a script sends them: no cookies, no CSRF
//! token. SCIM's routes are here too (tokens only).

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
    /// An API token of the organisation with the app admin role.
    AppAdminToken,
    /// An API token of the organisation with the privileged admin role.
    PrivilegedToken,
}

const CALLERS: [Caller; 7] = [
    Caller::Anonymous,
    Caller::Employee,
    Caller::AppAdmin,
    Caller::PrivilegedAdmin,
    Caller::OtherOrgAdmin,
    Caller::AppAdminToken,
    Caller::PrivilegedToken,
];

/// The status each caller gets, in `CALLERS` order.
type Expected = [u16; 7];

/// Apps, assignments and the logs: every admin. Users, groups, licenses: privileged
/// admins. An id of another organisation is not found. Tokens act with their role.
const APP_READ: Expected = [401, 403, 200, 200, 404, 200, 200];
const APP_LIST: Expected = [401, 403, 200, 200, 200, 200, 200];
const APP_CHANGE: Expected = [401, 403, 422, 422, 404, 422, 422];
const APP_CREATE: Expected = [401, 403, 422, 422, 422, 422, 422];
const PRIV_READ: Expected = [401, 403, 403, 200, 404, 403, 200];
const PRIV_LIST: Expected = [401, 403, 403, 200, 200, 403, 200];
const PRIV_CHANGE: Expected = [401, 403, 403, 422, 404, 403, 422];
const PRIV_CREATE: Expected = [401, 403, 403, 422, 422, 403, 422];
/// Consent reviewers: the table's body names nobody (400); Alex is no
/// reviewer (404), in any organisation.
const PRIV_SETTINGS_ADD: Expected = [401, 403, 403, 400, 400, 403, 400];
const PRIV_SETTINGS_REMOVE: Expected = [401, 403, 403, 404, 404, 403, 404];
/// Consent requests: no such request, and no such block (404), in any organisation.
const PRIV_DECIDE: Expected = [401, 403, 403, 404, 404, 403, 404];
/// An app's grants: Mail asks for no permissions, so the table's grant has nothing to grant (409).
const PRIV_GRANT: Expected = [401, 403, 403, 409, 404, 403, 409];
/// Access requests: no such request for anyone (404). An app's reviewers:
/// the table's body names nobody (400), Alex is none of Mail's (404).
const APP_DECIDE: Expected = [401, 403, 404, 404, 404, 404, 404];
const APP_REVIEWER_ADD: Expected = [401, 403, 400, 400, 400, 400, 400];
/// Tokens are made by privileged admins in person, never by a token.
const TOKEN_CREATE: Expected = [401, 403, 403, 422, 422, 403, 403];
/// Pages are for people: a token is not a credential there (anonymous).
const PAGE: Expected = [303, 403, 200, 200, 200, 303, 303];
/// A privileged admin's page refuses an app admin (with a page that says so).
const PRIV_PAGE: Expected = [303, 403, 403, 200, 200, 303, 303];
/// SCIM: API tokens with the privileged admin role only (a session is not a
/// credential there); a change with the table's body is a SCIM 400.
const SCIM_READ: Expected = [401, 401, 401, 401, 401, 403, 200];
const SCIM_CHANGE: Expected = [401, 401, 401, 401, 401, 403, 400];
/// What anyone may read (the API's description).
const PUBLIC: Expected = [200, 200, 200, 200, 200, 200, 200];
/// The pages' server functions: people only, with the page's role.
const APP_FN: Expected = [401, 403, 200, 200, 200, 401, 401];
const PRIV_FN: Expected = [401, 403, 403, 200, 200, 401, 401];

#[tokio::test]
async fn every_admin_route_answers_each_kind_of_caller_as_the_table_says() {
    let app = spawn_app().await;
    let (mail, alex) = (app.app_id("Mail").await, app.user_id(EMPLOYEE).await);
    let engineering = app.strings("SELECT id FROM user_groups WHERE name = 'Engineering'", &[]).await.remove(0);
    let office = app.strings("SELECT id FROM licenses WHERE sku = 'OFFICE_E3'", &[]).await.remove(0);
    let files_read = app.strings("SELECT id FROM permissions WHERE value = 'Files.Read'", &[]).await.remove(0);
    app.add_other_org().await;
    let (token_id, privileged_secret) = app.create_api_token("Roles table", "privileged_admin").await;
    let (_, app_admin_secret) = app.create_api_token("Roles table (apps)", "app_admin").await;

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
        ("GET", "/admin/users".into(), PRIV_PAGE),
        ("GET", "/admin/groups".into(), PRIV_PAGE),
        ("GET", "/admin/licenses".into(), PRIV_PAGE),
        ("GET", "/admin/consent".into(), PRIV_PAGE),
        ("GET", "/admin/permissions".into(), PAGE),
        ("GET", "/api/v1/admin/permissions".into(), APP_LIST),
        ("PATCH", format!("/api/v1/admin/permissions/{files_read}"), PRIV_CHANGE),
        ("GET", "/api/v1/admin/consent-settings".into(), PRIV_LIST),
        ("PATCH", "/api/v1/admin/consent-settings".into(), PRIV_CREATE),
        ("POST", "/api/v1/admin/consent-settings/reviewers".into(), PRIV_SETTINGS_ADD),
        ("DELETE", format!("/api/v1/admin/consent-settings/reviewers/users/{alex}"), PRIV_SETTINGS_REMOVE),
        ("GET", "/api/v1/admin/consent-requests".into(), PRIV_LIST),
        ("POST", "/api/v1/admin/consent-requests/00000000-0000-4000-8000-000000000000/decision".into(), PRIV_DECIDE),
        ("DELETE", format!("/api/v1/admin/consent-blocks/{mail}"), PRIV_DECIDE),
        ("GET", format!("/api/v1/admin/apps/{mail}/consents"), PRIV_READ),
        ("POST", format!("/api/v1/admin/apps/{mail}/consents"), PRIV_GRANT),
        ("DELETE", format!("/api/v1/admin/apps/{mail}/consents/00000000-0000-4000-8000-000000000000"), PRIV_DECIDE),
        ("GET", format!("/admin/apps/{mail}/consents"), PRIV_PAGE),
        ("GET", format!("/api/fn/admin_app_consents?app_id={mail}"), PRIV_FN),
        ("GET", "/api/v1/admin/access-requests".into(), APP_LIST),
        ("POST", "/api/v1/admin/access-requests/00000000-0000-4000-8000-000000000000/decision".into(), APP_DECIDE),
        ("GET", format!("/api/v1/admin/apps/{mail}/reviewers"), APP_READ),
        ("POST", format!("/api/v1/admin/apps/{mail}/reviewers"), APP_REVIEWER_ADD),
        ("DELETE", format!("/api/v1/admin/apps/{mail}/reviewers/users/{alex}"), APP_DECIDE),
        ("POST", "/api/v1/admin/apis".into(), PRIV_CREATE),
        ("POST", "/api/v1/admin/apis/00000000-0000-4000-8000-000000000000/permissions".into(), PRIV_CREATE),
        ("DELETE", format!("/api/v1/admin/permissions/{files_read}"), PRIV_GRANT),
        ("GET", "/admin/check-access".into(), PAGE),
        ("GET", "/api/v1/admin/sign-ins".into(), APP_LIST),
        ("GET", "/api/v1/admin/sign-ins/export.csv".into(), APP_LIST),
        ("GET", "/api/v1/admin/audit-events".into(), APP_LIST),
        ("GET", "/api/v1/admin/audit-events/export.csv".into(), APP_LIST),
        ("GET", "/admin/sign-ins".into(), PAGE),
        ("GET", "/admin/audit".into(), PAGE),
        ("GET", "/api/v1/admin/api-tokens".into(), PRIV_LIST),
        ("POST", "/api/v1/admin/api-tokens".into(), TOKEN_CREATE),
        ("GET", format!("/api/v1/admin/api-tokens/{token_id}"), PRIV_READ),
        ("GET", "/admin/api-tokens".into(), PRIV_PAGE),
        ("GET", "/admin/api".into(), PAGE),
        ("GET", "/api/v1/openapi.json".into(), PUBLIC),
        ("GET", "/api/fn/admin_api_reference".into(), APP_FN),
        ("GET", "/api/fn/admin_users?search=&cursor=".into(), PRIV_FN),
        ("GET", format!("/api/fn/admin_user?user_id={alex}"), PRIV_FN),
        ("GET", "/api/fn/admin_app_choices".into(), APP_FN),
        ("GET", format!("/api/fn/admin_access_check?user={alex}&app_id={mail}"), APP_FN),
        ("GET", "/api/fn/admin_groups?search=".into(), PRIV_FN),
        ("GET", format!("/api/fn/admin_group?group_id={engineering}&members_search=&add=&cycle="), PRIV_FN),
        ("GET", "/api/fn/admin_apps?search=".into(), APP_FN),
        ("GET", format!("/api/fn/admin_app?app_id={mail}"), APP_FN),
        ("GET", "/api/fn/admin_app_form_choices".into(), APP_FN),
        ("GET", format!("/api/fn/admin_app_assignments?app_id={mail}&add=&q="), APP_FN),
        ("GET", "/api/fn/admin_licenses".into(), PRIV_FN),
        ("GET", format!("/api/fn/admin_license?license_id={office}&add="), PRIV_FN),
        ("GET", "/api/fn/admin_sign_in_log?query[limit]=0".into(), APP_FN),
        ("GET", "/api/fn/admin_audit_log?query[limit]=0".into(), APP_FN),
        ("GET", "/api/fn/admin_api_tokens".into(), PRIV_FN),
        ("GET", "/api/fn/admin_consent_settings".into(), PRIV_FN),
        ("GET", "/api/fn/admin_permissions".into(), APP_FN),
        ("GET", "/scim/v2/ServiceProviderConfig".into(), SCIM_READ),
        ("GET", "/scim/v2/Schemas".into(), SCIM_READ),
        ("GET", "/scim/v2/Users".into(), SCIM_READ),
        ("POST", "/scim/v2/Users".into(), SCIM_CHANGE),
        ("GET", format!("/scim/v2/Users/{alex}"), SCIM_READ),
        ("PUT", format!("/scim/v2/Users/{alex}"), SCIM_CHANGE),
        ("PATCH", format!("/scim/v2/Users/{alex}"), SCIM_CHANGE),
        ("GET", "/scim/v2/Groups".into(), SCIM_READ),
        ("POST", "/scim/v2/Groups".into(), SCIM_CHANGE),
        ("GET", format!("/scim/v2/Groups/{engineering}"), SCIM_READ),
        ("PUT", format!("/scim/v2/Groups/{engineering}"), SCIM_CHANGE),
        ("PATCH", format!("/scim/v2/Groups/{engineering}"), SCIM_CHANGE),
    ];

    for caller in CALLERS {
        let client = match caller {
            Caller::Anonymous => browser(),
            Caller::Employee => app.signed_in(EMPLOYEE).await,
            Caller::AppAdmin => app.signed_in(APP_ADMIN).await,
            Caller::PrivilegedAdmin => app.signed_in(PRIVILEGED_ADMIN).await,
            Caller::OtherOrgAdmin => app.signed_in(OTHER_ORG_ADMIN).await,
            Caller::AppAdminToken | Caller::PrivilegedToken => browser(),
        };
        let secret = match caller {
            Caller::AppAdminToken => Some(&app_admin_secret),
            Caller::PrivilegedToken => Some(&privileged_secret),
            _ => None,
        };
        // Every caller sends a valid CSRF token (an anonymous browser has one
        // too), so what answers is the authorisation.
        let token = match secret {
            Some(_) => String::new(),
            None => csrf_in(&app.page(&client, if caller == Caller::Anonymous { "/sign-in" } else { "/" }).await.1),
        };
        let column = CALLERS.iter().position(|c| *c == caller).unwrap();
        for (method, path, expected) in &table {
            let mut req = client.request(method.parse().unwrap(), app.url(path));
            req = match secret {
                Some(secret) => req.bearer_auth(secret),
                None => req.header("x-csrf-token", &token),
            };
            if path.starts_with("/admin") {
                req = req.header("accept", "text/html");
            } else if *method != "GET" {
                req = req.json(&serde_json::json!({ "name": "" , "upn": "", "sku": "", "display_name": "" }));
            }
            let status = req.send().await.unwrap().status().as_u16();
            assert_eq!(status, expected[column], "{caller:?} {method} {path}");
        }
    }
    let written =
        app.strings("SELECT action FROM audit_events WHERE action NOT IN ('organisation.seeded_demo', 'api_token.created')", &[]).await;
    assert!(written.is_empty(), "nothing was changed: {written:?}");
}
