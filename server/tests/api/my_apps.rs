//! My Apps through the page and the JSON API.

use crate::helpers::*;
use serde_json::Value;

fn names(list: &Value) -> Vec<String> {
    list["apps"].as_array().unwrap().iter().map(|a| a["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn the_list_has_exactly_the_apps_the_user_may_launch() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let list: Value = alex.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    let names = names(&list);
    for expected in [
        "Mail",
        "Documents",
        "Spreadsheets",
        "Intranet",
        "Team Chat",
        "Video Meetings",
        "Whiteboard",
        "Source Control",
        "Issue Tracker",
        "Cloud Console",
        "Design Studio",
        "Expenses",
        "People Portal",
        "Analytics",
    ] {
        assert!(names.contains(&expected.to_string()), "{expected} is listed: {names:?}");
    }
    for absent in ["Payroll", "Legacy Reports", "Status Page Admin", "CRM", "Brand Assets", "Ledger"] {
        assert!(!names.contains(&absent.to_string()), "{absent} is not listed");
    }
    // Source Control lacks consent: still a tile (the launch asks later).
    let (status, html) = app.page(&alex, "/").await;
    assert_eq!(status, 200);
    for n in &names {
        assert!(html.contains(&n.replace('&', "&amp;")), "page shows {n}");
    }
}

#[tokio::test]
async fn each_tile_says_why_the_user_has_it() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let list: Value = alex.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    let why = |name: &str| list["apps"].as_array().unwrap().iter().find(|a| a["name"] == name).unwrap()["why"].clone();
    assert_eq!(why("Intranet"), serde_json::json!([{ "kind": "open_to_everyone" }]));
    assert_eq!(why("Expenses"), serde_json::json!([{ "kind": "group", "group": "All Staff", "via": [] }]));
    assert_eq!(why("Issue Tracker"), serde_json::json!([{ "kind": "group", "group": "Engineering", "via": ["Platform Team"] }]));
    assert_eq!(why("Design Studio"), serde_json::json!([{ "kind": "direct" }]));
    let (_, html) = app.page(&alex, "/").await;
    assert!(
        html.contains("Through the group Engineering (you&#x27;re in it via Platform Team)")
            || html.contains("Through the group Engineering (you're in it via Platform Team)")
    );
}

#[tokio::test]
async fn details_show_permissions_in_plain_words_and_the_deep_link() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let board = app.app_id("Whiteboard").await;
    let details: Value = alex.get(app.url(&format!("/api/v1/me/apps/{board}"))).send().await.unwrap().json().await.unwrap();
    assert_eq!(details["deep_link"], format!("{}/launch/{board}", app.address));
    let perms: Vec<(String, String)> = details["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["display_name"].as_str().unwrap().to_string(), p["granted_by"].as_str().unwrap().to_string()))
        .collect();
    assert!(perms.contains(&("Read your files".into(), "you".into())), "{perms:?}");
    let chat = app.app_id("Team Chat").await;
    let details: Value = alex.get(app.url(&format!("/api/v1/me/apps/{chat}"))).send().await.unwrap().json().await.unwrap();
    assert!(details["permissions"].as_array().unwrap().iter().all(|p| p["granted_by"] == "organisation"));

    let (status, html) = app.page(&alex, &format!("/apps/{board}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Read your files") && html.contains("Granted by you"));
    assert!(html.contains(&format!("{}/launch/{board}", app.address)));
    assert!(html.contains("Fabrikam Boards") && html.contains("Verified publisher"));
}

#[tokio::test]
async fn details_of_apps_the_user_lacks_are_not_found() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    for id in [app.app_id("Payroll").await, "0190a0a0-0000-7000-8000-0000000000ff".to_string(), "nonsense".to_string()] {
        let res = alex.get(app.url(&format!("/api/v1/me/apps/{id}"))).send().await.unwrap();
        assert_eq!(res.status(), 404, "{id}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "app_not_found");
        let (_, html) = app.page(&alex, &format!("/apps/{id}")).await;
        assert!(html.contains("We can&#x27;t find that app") || html.contains("We can't find that app"));
    }
}

#[tokio::test]
async fn pins_are_kept_on_the_server() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let (_, home) = app.page(&alex, "/").await;
    let token = csrf_in(&home);
    let mail = app.app_id("Mail").await;
    let pin_url = app.url(&format!("/api/v1/me/apps/{mail}/pin"));

    let res = alex.put(&pin_url).send().await.unwrap();
    assert_eq!(res.status(), 403, "no CSRF token, no change");
    let res = alex.put(&pin_url).header("x-csrf-token", &token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let list: Value = alex.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    assert!(list["apps"].as_array().unwrap().iter().any(|a| a["name"] == "Mail" && a["pinned"] == true));
    let (_, html) = app.page(&alex, "/").await;
    assert!(html.contains("Favourites"));

    let res = alex.delete(&pin_url).header("x-csrf-token", &token).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_app_pins", &[]).await, 0);

    // Without the script: a plain form post, answered with a redirect back.
    let res = app.post_form(&alex, "/", &format!("/me/apps/{mail}/pin"), &[("pinned", "true")]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.scalar_i64("SELECT COUNT(*) FROM user_app_pins", &[]).await, 1);

    // Apps the user doesn't have can't be pinned.
    let payroll = app.app_id("Payroll").await;
    let res = alex.put(app.url(&format!("/api/v1/me/apps/{payroll}/pin"))).header("x-csrf-token", &token).send().await.unwrap();
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn search_works_without_the_script() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let (_, html) = app.page(&alex, "/?q=woodgrove").await;
    assert!(html.contains("1 result"));
    // (the page also carries the whole list as data for the script: count rendered tiles)
    assert_eq!(html.matches("<li class=\"tile\">").count(), 1);
    assert!(html.contains("Expenses"));
    let (_, html) = app.page(&alex, "/?q=zzzz").await;
    assert!(html.contains("No apps match"));
}

#[tokio::test]
async fn the_category_filter_works_without_the_script() {
    let app = spawn_app().await;
    let alex = app.signed_in(EMPLOYEE).await;
    let apps: Value = alex.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    let in_category = |c: &str| apps["apps"].as_array().unwrap().iter().filter(|a| a["category"] == c).count();
    let collaboration = in_category("Collaboration");
    assert!(collaboration >= 2, "the demo gives Alex several collaboration apps");

    let (_, html) = app.page(&alex, "/?category=Collaboration").await;
    assert_eq!(html.matches("<li class=\"tile\">").count(), collaboration);
    assert!(html.contains(&format!("Collaboration · {collaboration} apps")));
    assert!(html.contains("aria-current=\"page\" class=\"chip\">Collaboration"), "the chosen chip is marked");
    // Search within the category; the search form keeps the category.
    let (_, html) = app.page(&alex, "/?category=Collaboration&q=whiteboard").await;
    assert_eq!(html.matches("<li class=\"tile\">").count(), 1);
    assert!(html.contains("1 result in Collaboration"));
    assert!(html.contains("<input type=\"hidden\" name=\"category\" value=\"Collaboration\">"));
    // A category the person has no apps in (or that does not exist) says so.
    let (status, html) = app.page(&alex, "/?category=%3Cscript%3E").await;
    assert_eq!(status, 200);
    assert!(html.contains("No apps in &lt;script&gt;"), "escaped, never reflected raw");
    assert!(html.contains("Show all apps"));
}

#[tokio::test]
async fn the_api_needs_a_session() {
    let app = spawn_app().await;
    let anonymous = browser();
    for path in ["/api/v1/me", "/api/v1/me/apps", "/api/v1/me/recent"] {
        let res = anonymous.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{path}");
    }
    let alex = app.signed_in(EMPLOYEE).await;
    let me: Value = alex.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me["upn"], EMPLOYEE);
    assert_eq!(me["org_name"], "Northwind Traders");
}

#[tokio::test]
async fn someone_without_apps_gets_a_friendly_empty_state() {
    let app = spawn_app().await;
    let hash = app.strings("SELECT password_hash FROM users WHERE upn_normalized = $1", &[EMPLOYEE]).await.remove(0);
    app.exec(
        "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, password_hash, created_at, updated_at) \
         VALUES ('newcomer', $1, 'new.hire@northwind.example', 'new.hire@northwind.example', 'New Hire', $2, 1, 1)",
        &[&app.org_id, &hash],
    )
    .await;
    app.exec("UPDATE applications SET assignment_required = TRUE", &[]).await;
    let newcomer = app.signed_in("new.hire@northwind.example").await;
    let list: Value = newcomer.get(app.url("/api/v1/me/apps")).send().await.unwrap().json().await.unwrap();
    assert_eq!(list["apps"].as_array().unwrap().len(), 0);
    let (status, html) = app.page(&newcomer, "/").await;
    assert_eq!(status, 200);
    assert!(html.contains("No apps yet"));
}
