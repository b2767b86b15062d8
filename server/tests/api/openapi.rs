//! The admin API's OpenAPI 3.1 document: served at a stable address to
//! anyone, describing every admin route with its security, parameters and
//! answers; and the admin page that renders it. (`scripts/test.sh` also
//! checks it with openapi-spec-validator, which we did not write.)

use crate::helpers::*;
use serde_json::Value;

async fn document(app: &TestApp) -> Value {
    let res = browser().get(app.url("/api/v1/openapi.json")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "anyone may read it: it holds no organisation's data");
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    res.json().await.unwrap()
}

#[tokio::test]
async fn the_document_describes_every_admin_operation_fully() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["info"]["title"], "My Apps API");
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["api_token"]["scheme"], "bearer");
    assert_eq!(schemes["session"]["in"], "cookie");
    let tags: Vec<&str> = doc["tags"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();

    let mut operation_ids = std::collections::HashSet::new();
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 29, "{} paths", paths.len());
    for me in ["/api/v1/me", "/api/v1/me/apps", "/api/v1/me/consents/{app_id}", "/api/v1/me/requests", "/api/v1/me/notifications/read"] {
        assert!(paths.contains_key(me), "{me} is described");
    }
    for (path, item) in paths {
        assert!(path.starts_with("/api/v1/admin/") || path == "/api/v1/me" || path.starts_with("/api/v1/me/"), "{path}");
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            if path.starts_with("/api/v1/me") {
                // The person's own API: their session only, never a token.
                assert_eq!(op["security"], serde_json::json!([{ "session": [] }]), "{name}");
                assert_eq!(op["tags"][0], "Me", "{name}");
            }
            assert!(operation_ids.insert(op["operationId"].as_str().unwrap().to_string()), "{name}: operationId is unique");
            assert!(!op["summary"].as_str().unwrap_or("").is_empty(), "{name} has a summary");
            assert!(tags.contains(&op["tags"][0].as_str().unwrap()), "{name} has a declared tag");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|s| s.starts_with('2')), "{name} says what success is");
            for refused in ["401", "403"] {
                assert_eq!(
                    responses[refused]["content"]["application/json"]["schema"]["$ref"], "#/components/schemas/Error",
                    "{name} {refused}"
                );
            }
            // Every {name} in the path is a documented, required path parameter.
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let param = segment.trim_matches(['{', '}']);
                let found = op["parameters"].as_array().and_then(|ps| ps.iter().find(|p| p["name"] == param && p["in"] == "path"));
                assert_eq!(found.map(|p| p["required"].clone()), Some(Value::Bool(true)), "{name}: {param}");
            }
        }
    }
    // Every $ref names a schema that is there.
    let text = doc.to_string();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for reference in text.split("\"#/components/schemas/").skip(1) {
        let name = reference.split('"').next().unwrap();
        assert!(schemas.contains_key(name), "schema {name} is defined");
    }
    // The error format, as every error answers it.
    let error = &schemas["ErrorDetail"]["properties"];
    for field in ["code", "message", "correlation_id", "fields"] {
        assert!(error.get(field).is_some(), "{field}");
    }
}

#[tokio::test]
async fn the_reference_page_renders_the_document_for_admins() {
    let app = spawn_app().await;
    let doc = document(&app).await;
    let sam = app.signed_in(APP_ADMIN).await;
    let (status, html) = app.page(&sam, "/admin/api").await;
    assert_eq!(status, 200);
    assert!(html.contains("My Apps API") && html.contains("/api/v1/openapi.json"));
    // Each operation's summary and path, and each type, is on the page.
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(html.contains(path.as_str()), "{path}");
        for op in item.as_object().unwrap().values() {
            let summary = op["summary"].as_str().unwrap();
            assert!(html.contains(summary), "{summary}");
        }
    }
    for name in doc["components"]["schemas"].as_object().unwrap().keys() {
        assert!(html.contains(&format!("id=\"schema-{name}\"")), "{name}");
    }
    let alex = app.signed_in(EMPLOYEE).await;
    assert_eq!(app.page(&alex, "/admin/api").await.0, 403);
}
