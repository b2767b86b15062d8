//! Starting a server for one test, and the HTTP steps tests repeat.

use reqwest::header::HeaderMap;
use reqwest::redirect::Policy;
use reqwest::{Client, Response};
use server::config::Config;
use server::startup::Application;
use server::store::{seed, SqlStore};
use tokio::sync::OnceCell;

pub const PASSWORD: &str = seed::DEMO_PASSWORD;
pub const EMPLOYEE: &str = "alex.wu@northwind.example";
pub const APP_ADMIN: &str = "sam.patel@northwind.example";
pub const PRIVILEGED_ADMIN: &str = "morgan.lee@northwind.example";
pub const MFA_USER: &str = "riley.chen@northwind.example";
pub const EXPIRED_USER: &str = "jordan.smith@northwind.example";
pub const BLOCKED_USER: &str = "casey.brown@northwind.example";

pub struct TestApp {
    pub address: String,
    /// The test's own connection to the server's database (for arranging
    /// and checking state).
    pub store: SqlStore,
    pub org_id: String,
    /// The server's own pool (to simulate losing the database).
    pub server_store: SqlStore,
    pub database_url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
    _data_dir: tempfile::TempDir,
}

/// One argon2 hash of the demo password, shared by every test (hashing 50
/// times per test would only test our patience).
async fn demo_hash() -> String {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async { server::passwords::Passwords::new(1, 0).hash(PASSWORD.into()).await.unwrap() }).await.clone()
}

/// A database URL no other test uses.
async fn fresh_database_url(dir: &std::path::Path) -> String {
    match std::env::var("TEST_DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            use sqlx::Connection;
            let name = format!("myapps_test_{}", uuid::Uuid::new_v4().simple());
            let mut admin = sqlx::PgConnection::connect(&url).await.expect("TEST_DATABASE_URL must be reachable");
            sqlx::Executor::execute(&mut admin, format!("CREATE DATABASE {name}").as_str()).await.expect("create test database");
            let mut parsed = url::Url::parse(&url).expect("valid TEST_DATABASE_URL");
            parsed.set_path(&name);
            parsed.to_string()
        }
        _ => format!("sqlite://{}", dir.join("test.db").display()),
    }
}

/// Starts the server with the demo organisation in a fresh database. The
/// server runs on its own multi-threaded runtime, as in production, so the
/// test's client never shares a thread with it; it stops when the TestApp
/// is dropped.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// The same, with configuration changed by `configure`.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = fresh_database_url(dir.path()).await;
    let mut config = Config::for_tests(url.clone(), dir.path().to_path_buf());
    configure(&mut config);
    let (address, org_id, server_store, stop) = start(config, Some(demo_hash().await)).await;
    let store = SqlStore::connect(&url, 2).await.expect("test connection");
    TestApp { address, store, org_id: org_id.expect("the demo was created"), server_store, database_url: url, _stop: stop, _data_dir: dir }
}

/// Starts a server (seeding the demo when given its password hash) on its
/// own runtime; returns its address, the demo org, its store and its stop.
async fn start(config: Config, demo: Option<String>) -> (String, Option<String>, SqlStore, tokio::sync::oneshot::Sender<()>) {
    let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        runtime.block_on(async move {
            let app = Application::build(config).await.expect("server starts");
            let org_id = match demo {
                Some(hash) => {
                    let users = seed::demo_users().len();
                    let summary = seed::seed_demo(&app.store, vec![hash; users], server::time::now_ms())
                        .await
                        .unwrap()
                        .expect("fresh database gets the demo");
                    Some(summary.org_id)
                }
                None => None,
            };
            ready_tx.send((format!("http://{}", app.address), org_id, app.store.clone())).unwrap();
            app.run_until(async {
                let _ = stop_rx.await;
            })
            .await
            .unwrap();
        });
    });
    let (address, org_id, server_store) = ready_rx.await.expect("server thread reports ready");
    (address, org_id, server_store, stop_tx)
}

impl TestApp {
    /// A second server on this one's database, as another replica behind
    /// the same load balancer would be.
    pub async fn spawn_replica(&self) -> TestApp {
        let dir = tempfile::tempdir().unwrap();
        let config = Config::for_tests(self.database_url.clone(), dir.path().to_path_buf());
        let (address, _, server_store, stop) = start(config, None).await;
        let store = SqlStore::connect(&self.database_url, 2).await.expect("test connection");
        TestApp {
            address,
            store,
            org_id: self.org_id.clone(),
            server_store,
            database_url: self.database_url.clone(),
            _stop: stop,
            _data_dir: dir,
        }
    }
}

/// A browser: keeps cookies, does not follow redirects (tests look at them).
pub fn browser() -> Client {
    Client::builder().cookie_store(true).redirect(Policy::none()).timeout(std::time::Duration::from_secs(30)).build().unwrap()
}

pub fn location(res: &Response) -> String {
    res.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

pub fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok()).map(str::to_string).collect()
}

/// The session's CSRF token, as a script gets it (`GET /api/v1/me`).
pub async fn csrf_of(app: &TestApp, client: &Client) -> String {
    let me: serde_json::Value = client.get(app.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    me["csrf_token"].as_str().unwrap().to_string()
}

/// The value of the hidden CSRF field in a page.
pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker).map(|i| i + marker.len()).expect("page has a CSRF field");
    html[start..].split('"').next().unwrap().to_string()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    /// GETs a page and returns its body.
    pub async fn page(&self, client: &Client, path: &str) -> (u16, String) {
        let res = client.get(self.url(path)).header("accept", "text/html").send().await.unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    /// Posts a form the way the page would: with the CSRF token from `page`.
    pub async fn post_form(&self, client: &Client, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let (_, html) = self.page(client, page).await;
        let token = csrf_in(&html);
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        form.extend_from_slice(fields);
        client.post(self.url(action)).header("accept", "text/html").form(&form).send().await.unwrap()
    }

    pub async fn sign_in(&self, client: &Client, upn: &str, password: &str) -> Response {
        self.post_form(client, "/sign-in", "/auth/sign-in", &[("upn", upn), ("password", password)]).await
    }

    /// Runs SQL against the test database (to arrange clocks and states).
    pub async fn exec(&self, sql: &str, binds: &[&str]) {
        server::on_pool!(&self.store.pool, p => {
            let mut q = sqlx::query(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.execute(p).await.unwrap();
        })
    }

    pub async fn scalar_i64(&self, sql: &str, binds: &[&str]) -> i64 {
        server::on_pool!(&self.store.pool, p => {
            let mut q = sqlx::query_scalar::<_, i64>(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_one(p).await.unwrap()
        })
    }

    /// Whether a user claims a license, and with a seat: `Some(has_seat)`,
    /// or `None` when it does not reach them. Asked the way the server asks
    /// (its own read of the user's licenses).
    pub async fn seat_of(&self, user_id: &str, license_id: &str) -> Option<bool> {
        use app::ports::UsersStore;
        let licenses = self.server_store.user_licenses(&self.org_id, user_id).await.unwrap();
        licenses.iter().find(|l| l.id == license_id).map(|l| l.has_seat)
    }

    /// Who holds a seat of a license, user by user of the org, sorted.
    pub async fn seat_holders(&self, license_id: &str) -> Vec<String> {
        let mut holders = Vec::new();
        for user in self.strings("SELECT id FROM users WHERE org_id = $1", &[&self.org_id]).await {
            if self.seat_of(&user, license_id).await == Some(true) {
                holders.push(user);
            }
        }
        holders.sort();
        holders
    }

    pub async fn strings(&self, sql: &str, binds: &[&str]) -> Vec<String> {
        server::on_pool!(&self.store.pool, p => {
            let mut q = sqlx::query_scalar::<_, String>(sql);
            for b in binds {
                q = q.bind(*b);
            }
            q.fetch_all(p).await.unwrap()
        })
    }
}

impl TestApp {
    /// The id of the demo app with this name.
    pub async fn app_id(&self, name: &str) -> String {
        self.strings("SELECT id FROM applications WHERE name = $1", &[name]).await.into_iter().next().expect("demo app exists")
    }

    pub async fn user_id(&self, upn: &str) -> String {
        self.strings("SELECT id FROM users WHERE upn_normalized = $1", &[upn]).await.into_iter().next().expect("demo user exists")
    }

    /// A browser signed in as `upn`.
    pub async fn signed_in(&self, upn: &str) -> Client {
        let client = browser();
        let res = self.sign_in(&client, upn, PASSWORD).await;
        assert_eq!(location(&res), "/", "{upn} signs in");
        client
    }

    /// Follows a launch URL one step: where it sends the browser.
    pub async fn launch(&self, client: &Client, app_id: &str) -> String {
        let res = client.get(self.url(&format!("/launch/{app_id}"))).header("accept", "text/html").send().await.unwrap();
        assert_eq!(res.status(), 303, "launch answers with a redirect");
        location(&res)
    }

    /// The last sign-in event's reason code for a launch.
    pub async fn last_launch_reason(&self) -> String {
        self.strings(
            "SELECT outcome || ':' || reason_code FROM sign_in_events WHERE kind = 'launch' ORDER BY created_at DESC, id DESC LIMIT 1",
            &[],
        )
        .await
        .remove(0)
    }
}

impl TestApp {
    /// `myapps_remembered_sessions_total` for this outcome, from /metrics.
    pub async fn remembered_sessions(&self, outcome: &str) -> u64 {
        let text = browser().get(self.url("/metrics")).send().await.unwrap().text().await.unwrap();
        let prefix = format!("myapps_remembered_sessions_total{{outcome=\"{outcome}\"}} ");
        text.lines().find_map(|l| l.strip_prefix(&prefix)).map(|v| v.trim().parse().unwrap()).unwrap_or(0)
    }
}

/// The privileged admin of the second organisation `add_other_org` makes.
pub const OTHER_ORG_ADMIN: &str = "boss@elsewhere.example";

impl TestApp {
    /// A second organisation ("Elsewhere") with its own privileged admin,
    /// [`OTHER_ORG_ADMIN`], whose password is the demo one.
    pub async fn add_other_org(&self) {
        let other_org = "11111111-1111-4111-8111-111111111111";
        self.exec("INSERT INTO organisations (id, name, created_at) VALUES ($1, 'Elsewhere', 0)", &[other_org]).await;
        self.exec(
            "INSERT INTO users (id, org_id, upn, upn_normalized, display_name, role, password_hash, created_at, updated_at) \
             SELECT '22222222-2222-4222-8222-222222222222', $1, $2, $2, 'Boss', 'privileged_admin', password_hash, 0, 0 \
             FROM users WHERE upn_normalized = $3",
            &[other_org, OTHER_ORG_ADMIN, PRIVILEGED_ADMIN],
        )
        .await;
    }
}

impl TestApp {
    /// A new API token made by the demo privileged admin through the API:
    /// (its id, its secret).
    pub async fn create_api_token(&self, name: &str, role: &str) -> (String, String) {
        let morgan = self.signed_in(PRIVILEGED_ADMIN).await;
        let (_, html) = self.page(&morgan, "/").await;
        let res = morgan
            .post(self.url("/api/v1/admin/api-tokens"))
            .header("x-csrf-token", csrf_in(&html))
            .json(&serde_json::json!({ "name": name, "role": role, "expires_in_days": 30 }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 201);
        let body: serde_json::Value = res.json().await.unwrap();
        (body["token"]["id"].as_str().unwrap().to_string(), body["secret"].as_str().unwrap().to_string())
    }
}

/// A response's status and JSON body (null when it has none).
pub async fn json_of(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(serde_json::Value::Null))
}

/// A signed-in browser calling the JSON API, with the CSRF header its
/// session needs on changes.
pub struct Api<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
    pub token: String,
}

impl Api<'_> {
    pub async fn as_user<'a>(app: &'a TestApp, upn: &str) -> Api<'a> {
        let client = app.signed_in(upn).await;
        let (_, html) = app.page(&client, "/").await;
        Api { app, token: csrf_in(&html), client }
    }
    pub async fn get(&self, path: &str) -> (u16, serde_json::Value) {
        json_of(self.client.get(self.app.url(path)).send().await.unwrap()).await
    }
    pub async fn post(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json_of(self.client.post(self.app.url(path)).header("x-csrf-token", &self.token).json(&body).send().await.unwrap()).await
    }
    pub async fn patch(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        json_of(self.client.patch(self.app.url(path)).header("x-csrf-token", &self.token).json(&body).send().await.unwrap()).await
    }
    pub async fn delete(&self, path: &str) -> (u16, serde_json::Value) {
        json_of(self.client.delete(self.app.url(path)).header("x-csrf-token", &self.token).send().await.unwrap()).await
    }
}
