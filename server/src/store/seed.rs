//! The demo organisation: a realistic tenant to explore the portal with. It
//! is created only when asked for (`--demo`), never by default, and only into
//! a database that has no organisation yet.

use super::{db_err, new_id, SqlStore};
use app::ports::StoreError;

pub const DEMO_DOMAIN: &str = "northwind.example";
pub const DEMO_ORG_NAME: &str = "Northwind Traders";
/// The password of every demo account (documented in the README).
pub const DEMO_PASSWORD: &str = "Northwind-Demo-2026";

/// The documented demo accounts: (UPN local part, what it shows).
pub const DEMO_ACCOUNTS: &[(&str, &str)] = &[
    ("alex.wu", "employee"),
    ("sam.patel", "app admin"),
    ("morgan.lee", "privileged admin"),
    ("riley.chen", "employee whose organisation enforces MFA (enrols an authenticator at first sign-in)"),
    ("jordan.smith", "employee whose password has expired (must change it)"),
    ("casey.brown", "employee who is blocked from signing in"),
];

const FIRST: &[&str] = &[
    "Alex", "Sam", "Morgan", "Riley", "Jordan", "Casey", "Taylor", "Jamie", "Avery", "Quinn", "Drew", "Reese", "Harper", "Rowan",
    "Emerson", "Finley", "Hayden", "Kendall", "Logan", "Parker", "Sage", "Skyler", "Blake", "Cameron", "Dakota",
];
const LAST: &[&str] = &[
    "Wu", "Patel", "Lee", "Chen", "Smith", "Brown", "Garcia", "Müller", "Okafor", "Nakamura", "Rossi", "Dubois", "Kowalski", "Silva",
    "Andersen", "O'Brien", "Haddad", "Ivanova", "Kim", "Novak", "Santos", "Fischer", "Moreau", "Singh", "Tanaka",
];
const DEPARTMENTS: &[(&str, &str)] = &[
    ("Engineering", "Software Engineer"),
    ("Sales", "Account Executive"),
    ("Marketing", "Marketing Manager"),
    ("Finance", "Financial Analyst"),
    ("Human Resources", "HR Partner"),
    ("IT", "Systems Administrator"),
];

/// (name, description, parent group or "")
const GROUPS: &[(&str, &str, &str)] = &[
    ("All Staff", "Everyone at Northwind", ""),
    ("Engineering", "Product engineering", ""),
    ("Platform Team", "Infrastructure and developer platform", "Engineering"),
    ("Frontend Team", "Web and mobile front ends", "Engineering"),
    ("Sales", "Sales organisation", ""),
    ("Sales EMEA", "Sales in Europe, Middle East and Africa", "Sales"),
    ("Marketing", "Brand, content and campaigns", ""),
    ("Finance", "Finance and accounting", ""),
    ("Human Resources", "People team", ""),
    ("IT Admins", "IT operations and security", ""),
];

/// (sku, name, seats, assigned to group or "")
const LICENSES: &[(&str, &str, i64, &str)] = &[
    ("OFFICE_E3", "Office Suite E3", 40, "All Staff"),
    ("DESIGN_PRO", "Design Pro", 4, "Marketing"),
    ("CRM_ENT", "CRM Enterprise", 6, "Sales"),
    ("ANALYTICS_PLUS", "Analytics Plus", 3, ""),
];

/// (api name, identifier, [(scope, display name, description, admin consent required, classification)])
type PermissionSpec = (&'static str, &'static str, &'static str, bool, Option<&'static str>);
const APIS: &[(&str, &str, &[PermissionSpec])] = &[
    (
        "Northwind Mail",
        "https://mail.northwind.example",
        &[
            ("Mail.Read", "Read your mail", "Read the email in your mailbox", false, Some("medium")),
            ("Mail.Send", "Send mail as you", "Send email as you", false, Some("high")),
            (
                "Mail.ReadWrite.All",
                "Read and write all mailboxes",
                "Read and change mail in every mailbox in the organisation",
                true,
                Some("high"),
            ),
        ],
    ),
    (
        "Northwind Files",
        "https://files.northwind.example",
        &[
            ("Files.Read", "Read your files", "Read the files you can open", false, Some("low")),
            ("Files.ReadWrite.All", "Read and write all files", "Read, change and delete all files you can open", false, None),
        ],
    ),
    (
        "Directory",
        "https://directory.northwind.example",
        &[
            ("User.Read", "Read your profile", "Read your full profile", false, Some("low")),
            ("User.Read.All", "Read all users' profiles", "Read the profiles of everyone in the organisation", true, Some("high")),
        ],
    ),
];

struct AppSpec {
    name: &'static str,
    category: &'static str,
    publisher: &'static str,
    verified: bool,
    in_org: bool,
    mode: &'static str,
    url: &'static str,
    assignment_required: bool,
    license: &'static str,
    assigned_groups: &'static [&'static str],
    enabled: bool,
    visible: bool,
    scopes: &'static [&'static str],
    description: &'static str,
}

const fn app(
    name: &'static str,
    category: &'static str,
    publisher: &'static str,
    mode: &'static str,
    url: &'static str,
    groups: &'static [&'static str],
    description: &'static str,
) -> AppSpec {
    AppSpec {
        name,
        category,
        publisher,
        verified: true,
        in_org: false,
        mode,
        url,
        assignment_required: true,
        license: "",
        assigned_groups: groups,
        enabled: true,
        visible: true,
        scopes: &[],
        description,
    }
}

const OIDC_BASIC: &[&str] = &["openid", "profile", "email"];

/// The demo relying party (the `demo-rp` crate) as the demo registers it:
/// a public client (PKCE, no secret to hand over) at this address.
pub const DEMO_RP_NAME: &str = "Northwind Notes";
pub const DEMO_RP_URL: &str = "http://127.0.0.1:4000/";

fn apps() -> Vec<AppSpec> {
    vec![
        AppSpec {
            license: "OFFICE_E3",
            ..app(
                "Mail",
                "Productivity",
                "Northwind Traders",
                "linked",
                "https://mail.northwind.example/",
                &["All Staff"],
                "Email and calendar.",
            )
        },
        AppSpec {
            license: "OFFICE_E3",
            ..app(
                "Documents",
                "Productivity",
                "Northwind Traders",
                "linked",
                "https://docs.northwind.example/",
                &["All Staff"],
                "Write, share and co-author documents.",
            )
        },
        AppSpec {
            license: "OFFICE_E3",
            ..app(
                "Spreadsheets",
                "Productivity",
                "Northwind Traders",
                "linked",
                "https://sheets.northwind.example/",
                &["All Staff"],
                "Spreadsheets for everyone.",
            )
        },
        AppSpec {
            assignment_required: false,
            ..app(
                "Intranet",
                "Collaboration",
                "Northwind Traders",
                "linked",
                "https://intranet.northwind.example/",
                &[],
                "News, policies and the staff directory.",
            )
        },
        AppSpec {
            assignment_required: false,
            in_org: true,
            scopes: OIDC_BASIC,
            ..app(
                "Team Chat",
                "Collaboration",
                "Northwind Traders",
                "oidc",
                "https://chat.northwind.example/",
                &[],
                "Channels and direct messages for the whole company.",
            )
        },
        app(
            "Video Meetings",
            "Collaboration",
            "Contoso Video Ltd",
            "linked",
            "https://meet.contoso-video.example/",
            &["All Staff"],
            "Video calls and webinars.",
        ),
        AppSpec {
            scopes: &["openid", "profile", "email", "Files.Read"],
            ..app(
                "Whiteboard",
                "Collaboration",
                "Fabrikam Boards",
                "oidc",
                "https://board.fabrikam.example/",
                &["All Staff"],
                "Infinite canvas for workshops.",
            )
        },
        AppSpec {
            in_org: true,
            scopes: &["openid", "profile", "offline_access"],
            ..app(
                "Source Control",
                "Engineering",
                "Northwind Traders",
                "oidc",
                "https://git.northwind.example/",
                &["Engineering"],
                "Repositories, reviews and pipelines.",
            )
        },
        app(
            "Issue Tracker",
            "Engineering",
            "Tailspin Software",
            "linked",
            "https://issues.tailspin.example/",
            &["Engineering"],
            "Plan and track product work.",
        ),
        app(
            "Cloud Console",
            "Engineering",
            "Northwind Traders",
            "linked",
            "https://cloud.northwind.example/",
            &["Platform Team"],
            "Manage the production cloud accounts.",
        ),
        app(
            "Design Studio",
            "Engineering",
            "Adatum Design",
            "linked",
            "https://design.adatum.example/",
            &["Frontend Team", "Marketing"],
            "Interface design and prototyping.",
        ),
        AppSpec {
            license: "CRM_ENT",
            scopes: &["openid", "profile", "email", "Mail.Read"],
            ..app(
                "CRM",
                "Sales & CRM",
                "Litware Inc.",
                "oidc",
                "https://crm.litware.example/",
                &["Sales"],
                "Accounts, contacts and the sales pipeline.",
            )
        },
        app(
            "Quote Builder",
            "Sales & CRM",
            "Litware Inc.",
            "linked",
            "https://quotes.litware.example/",
            &["Sales"],
            "Build and send quotes.",
        ),
        AppSpec {
            verified: false,
            scopes: &["openid", "email", "Mail.Send"],
            ..app(
                "Lead Enricher",
                "Sales & CRM",
                "Leadly",
                "oidc",
                "https://app.leadly.example/",
                &["Sales EMEA"],
                "Finds company details for new leads.",
            )
        },
        AppSpec {
            license: "DESIGN_PRO",
            ..app(
                "Brand Assets",
                "Marketing",
                "Adatum Design",
                "linked",
                "https://brand.adatum.example/",
                &["Marketing"],
                "Logos, templates and brand guidelines.",
            )
        },
        app(
            "Social Scheduler",
            "Marketing",
            "Proseware",
            "linked",
            "https://social.proseware.example/",
            &["Marketing"],
            "Plan and publish social posts.",
        ),
        app(
            "Expenses",
            "HR & Finance",
            "Woodgrove Finance",
            "linked",
            "https://expenses.woodgrove.example/",
            &["All Staff"],
            "Submit and approve expense claims.",
        ),
        app(
            "Payroll",
            "HR & Finance",
            "Woodgrove Finance",
            "linked",
            "https://payroll.woodgrove.example/",
            &["Finance", "Human Resources"],
            "Payroll runs and payslips.",
        ),
        AppSpec {
            in_org: true,
            scopes: &["openid", "profile", "email", "User.Read"],
            ..app(
                "People Portal",
                "HR & Finance",
                "Northwind Traders",
                "oidc",
                "https://people.northwind.example/",
                &["All Staff"],
                "Leave, benefits and your employee record.",
            )
        },
        app(
            "Ledger",
            "HR & Finance",
            "Woodgrove Finance",
            "linked",
            "https://ledger.woodgrove.example/",
            &["Finance"],
            "General ledger and reporting.",
        ),
        app(
            "Password Vault",
            "IT & Security",
            "Fourth Coffee Security",
            "linked",
            "https://vault.fourthcoffee.example/",
            &["IT Admins"],
            "Shared credentials for the IT team.",
        ),
        // The demo relying party (`cargo run -p demo-rp`, README): a real
        // OpenID Connect client on this machine, for everyone, not yet
        // consented to, so trying it goes launch → consent → tokens.
        AppSpec {
            in_org: true,
            assignment_required: false,
            scopes: &["openid", "profile", "email", "offline_access"],
            ..app(
                DEMO_RP_NAME,
                "Productivity",
                "Northwind Traders",
                "oidc",
                DEMO_RP_URL,
                &[],
                "The demo relying party: a small app that signs you in with My Apps and shows its tokens.",
            )
        },
        AppSpec {
            scopes: &["openid", "profile", "User.Read.All"],
            ..app(
                "Device Manager",
                "IT & Security",
                "Fourth Coffee Security",
                "oidc",
                "https://devices.fourthcoffee.example/",
                &["IT Admins"],
                "Enrol and manage company devices.",
            )
        },
        AppSpec {
            license: "ANALYTICS_PLUS",
            ..app(
                "Analytics",
                "Analytics",
                "Contoso Analytics",
                "linked",
                "https://analytics.contoso.example/",
                &["Engineering", "Sales", "Marketing"],
                "Dashboards and ad-hoc analysis.",
            )
        },
        AppSpec {
            enabled: false,
            ..app(
                "Legacy Reports",
                "Analytics",
                "Northwind Traders",
                "linked",
                "https://reports-old.northwind.example/",
                &["All Staff"],
                "Retired reporting tool (sign-in disabled).",
            )
        },
        AppSpec {
            visible: false,
            ..app(
                "Status Page Admin",
                "IT & Security",
                "Northwind Traders",
                "linked",
                "https://status-admin.northwind.example/",
                &["IT Admins"],
                "Hidden from the portal; reachable by its link.",
            )
        },
    ]
}

/// What was created, for the start-up banner.
pub struct DemoSummary {
    pub org_id: String,
    pub users: usize,
    pub groups: usize,
    pub apps: usize,
}

/// Creates the demo organisation unless an organisation exists already.
/// `hash` turns the demo password into a stored hash (argon2, done by the
/// caller off the async threads). Returns None when nothing was created.
pub async fn seed_demo(store: &SqlStore, password_hashes: Vec<String>, now: i64) -> Result<Option<DemoSummary>, StoreError> {
    let users = demo_users();
    assert_eq!(password_hashes.len(), users.len(), "one hash per demo user");
    crate::on_pool!(&store.pool, p => {
        let mut tx = p.begin().await.map_err(db_err)?;
        let existing: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM organisations").fetch_one(&mut *tx).await.map_err(db_err)?;
        if existing > 0 {
            return Ok(None);
        }
        let org_id = new_id();
        sqlx::query("INSERT INTO organisations (id, name, created_at, admin_consent_workflow_enabled) VALUES ($1, $2, $3, TRUE)")
            .bind(&org_id).bind(DEMO_ORG_NAME).bind(now)
            .execute(&mut *tx).await.map_err(db_err)?;

        // Users
        let mut user_ids = Vec::new();
        for (i, (u, hash)) in users.iter().zip(password_hashes.iter()).enumerate() {
            let id = new_id();
            let upn = format!("{}@{DEMO_DOMAIN}", u.local);
            sqlx::query("INSERT INTO users (id, org_id, upn, upn_normalized, display_name, email, job_title, department, role, \
                         password_hash, password_changed_at, password_expires_at, sign_in_blocked, mfa_state, auth_email, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)")
                .bind(&id).bind(&org_id).bind(&upn).bind(upn.to_lowercase()).bind(&u.display_name).bind(&upn)
                .bind(u.job_title).bind(u.department).bind(u.role).bind(hash).bind(now)
                .bind(u.password_expired.then_some(now - 86_400_000))
                .bind(u.blocked).bind(u.mfa).bind(&upn)
                .bind(now + i as i64)
                .execute(&mut *tx).await.map_err(db_err)?;
            user_ids.push(id);
        }

        // Groups, nesting, memberships
        let mut group_ids = std::collections::HashMap::new();
        for (name, description, _) in GROUPS {
            let id = new_id();
            sqlx::query("INSERT INTO user_groups (id, org_id, name, name_normalized, description, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id).bind(&org_id).bind(*name).bind(name.to_lowercase()).bind(*description).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            group_ids.insert(*name, id);
        }
        for (name, _, parent) in GROUPS.iter().filter(|g| !g.2.is_empty()) {
            sqlx::query("INSERT INTO group_group_members (org_id, group_id, member_group_id, added_at) VALUES ($1, $2, $3, $4)")
                .bind(&org_id).bind(&group_ids[parent]).bind(&group_ids[name]).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
        }
        for (u, id) in users.iter().zip(user_ids.iter()) {
            for g in std::iter::once("All Staff").chain(u.groups.iter().copied()) {
                sqlx::query("INSERT INTO group_user_members (org_id, group_id, user_id, added_at) VALUES ($1, $2, $3, $4)")
                    .bind(&org_id).bind(&group_ids[g]).bind(id).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
        }

        // Licenses: group-based, plus direct seats of Analytics Plus
        let mut license_ids = std::collections::HashMap::new();
        for (sku, name, seats, group) in LICENSES {
            let id = new_id();
            sqlx::query("INSERT INTO licenses (id, org_id, name, sku, seats, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&id).bind(&org_id).bind(*name).bind(*sku).bind(*seats).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            if !group.is_empty() {
                sqlx::query("INSERT INTO license_assignments (id, org_id, license_id, group_id, assigned_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(new_id()).bind(&org_id).bind(&id).bind(&group_ids[group]).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            license_ids.insert(*sku, id);
        }
        for (i, user_id) in user_ids.iter().enumerate().filter(|(i, _)| [0usize, 1, 2, 7, 8].contains(i)) {
            sqlx::query("INSERT INTO license_assignments (id, org_id, license_id, user_id, assigned_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id()).bind(&org_id).bind(&license_ids["ANALYTICS_PLUS"]).bind(user_id).bind(now + i as i64)
                .execute(&mut *tx).await.map_err(db_err)?;
        }

        for license_id in license_ids.values() {
            super::access::recompute_license_seats!(&mut *tx, &org_id, license_id);
        }

        // APIs and permissions: OpenID Connect's standard scopes, as every
        // organisation has them, then the demo's own APIs.
        super::permissions::insert_standard_scopes!(&mut *tx, &org_id);
        let standard: Vec<(String, String)> = sqlx::query_as(
            "SELECT p.value, p.id FROM permissions p JOIN apis a ON a.id = p.api_id WHERE a.org_id = $1 AND a.identifier = 'openid'")
            .bind(&org_id).fetch_all(&mut *tx).await.map_err(db_err)?;
        let standard: std::collections::HashMap<String, String> = standard.into_iter().collect();
        let mut permission_ids: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
        for (value, ..) in app::domain::catalogue::STANDARD_SCOPES {
            permission_ids.insert(value, standard[*value].clone());
        }
        for (name, identifier, permissions) in APIS {
            let api_id = new_id();
            sqlx::query("INSERT INTO apis (id, org_id, name, identifier) VALUES ($1, $2, $3, $4)")
                .bind(&api_id).bind(&org_id).bind(*name).bind(*identifier)
                .execute(&mut *tx).await.map_err(db_err)?;
            for (value, display, description, admin_only, classification) in permissions.iter() {
                let id = new_id();
                sqlx::query("INSERT INTO permissions (id, org_id, api_id, value, display_name, description, admin_consent_required, classification) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                    .bind(&id).bind(&org_id).bind(&api_id).bind(*value).bind(*display).bind(*description).bind(*admin_only).bind(*classification)
                    .execute(&mut *tx).await.map_err(db_err)?;
                permission_ids.insert(*value, id);
            }
        }

        // Applications, their permissions and assignments
        let specs = apps();
        let mut app_ids = std::collections::HashMap::new();
        for (i, a) in specs.iter().enumerate() {
            let id = new_id();
            let oidc = a.mode == "oidc";
            let client_id = oidc.then(|| format!("demo-{}", a.name.to_lowercase().replace(' ', "-")));
            sqlx::query("INSERT INTO applications (id, org_id, name, description, category, publisher_name, publisher_verified, \
                         registered_in_org, enabled, visible, assignment_required, required_license_id, sign_on_mode, launch_url, \
                         client_id, public_client, initiate_login_uri, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18)")
                .bind(&id).bind(&org_id).bind(a.name).bind(a.description).bind(a.category).bind(a.publisher)
                .bind(a.verified).bind(a.in_org).bind(a.enabled).bind(a.visible).bind(a.assignment_required)
                .bind((!a.license.is_empty()).then(|| license_ids[a.license].clone()))
                .bind(a.mode).bind(a.url).bind(&client_id).bind(oidc)
                .bind(oidc.then(|| format!("{}login", a.url)))
                .bind(now + i as i64)
                .execute(&mut *tx).await.map_err(db_err)?;
            if oidc {
                sqlx::query("INSERT INTO application_redirect_uris (org_id, app_id, uri) VALUES ($1, $2, $3)")
                    .bind(&org_id).bind(&id).bind(format!("{}auth/callback", a.url))
                    .execute(&mut *tx).await.map_err(db_err)?;
                // Signed out of the portal from the app: back to its start.
                sqlx::query("INSERT INTO application_post_logout_redirect_uris (org_id, app_id, uri) VALUES ($1, $2, $3)")
                    .bind(&org_id).bind(&id).bind(a.url)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            for scope in a.scopes {
                sqlx::query("INSERT INTO application_permissions (org_id, app_id, permission_id) VALUES ($1, $2, $3)")
                    .bind(&org_id).bind(&id).bind(&permission_ids[scope])
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            for g in a.assigned_groups {
                sqlx::query("INSERT INTO app_assignments (id, org_id, app_id, group_id, assigned_at) VALUES ($1, $2, $3, $4, $5)")
                    .bind(new_id()).bind(&org_id).bind(&id).bind(&group_ids[g]).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
            app_ids.insert(a.name, id);
        }
        // A few direct assignments (the employee gets Design Studio directly).
        for (app_name, user_index) in [("Design Studio", 0usize), ("Analytics", 0), ("Cloud Console", 1)] {
            sqlx::query("INSERT INTO app_assignments (id, org_id, app_id, user_id, assigned_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(new_id()).bind(&org_id).bind(&app_ids[app_name]).bind(&user_ids[user_index]).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
        }

        // Consent: tenant-wide for the org's own apps, and the employee's
        // own consent to Whiteboard.
        let admin_id = &user_ids[2];
        let grants: &[(&str, Option<usize>, &[&str])] = &[
            ("Team Chat", None, OIDC_BASIC),
            ("People Portal", None, &["openid", "profile", "email", "User.Read"]),
            ("Device Manager", None, &["openid", "profile", "User.Read.All"]),
            ("Whiteboard", Some(0), &["openid", "profile", "email", "Files.Read"]),
        ];
        for (app_name, principal, scopes) in grants {
            let grant_id = new_id();
            let principal_id = principal.map(|i| user_ids[i].clone());
            let granted_by = principal_id.clone().unwrap_or_else(|| admin_id.clone());
            sqlx::query("INSERT INTO consent_grants (id, org_id, app_id, principal_user_id, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(&grant_id).bind(&org_id).bind(&app_ids[app_name]).bind(&principal_id).bind(&granted_by).bind(now)
                .execute(&mut *tx).await.map_err(db_err)?;
            for scope in scopes.iter() {
                sqlx::query("INSERT INTO consent_grant_permissions (org_id, grant_id, permission_id, granted_at) VALUES ($1, $2, $3, $4)")
                    .bind(&org_id).bind(&grant_id).bind(&permission_ids[scope]).bind(now)
                    .execute(&mut *tx).await.map_err(db_err)?;
            }
        }
        // The privileged admin reviews admin-consent requests.
        sqlx::query("INSERT INTO consent_reviewers (id, org_id, user_id) VALUES ($1, $2, $3)")
            .bind(new_id()).bind(&org_id).bind(admin_id)
            .execute(&mut *tx).await.map_err(db_err)?;
        sqlx::query("INSERT INTO audit_events (id, org_id, actor_label, action, target_type, target_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(new_id()).bind(&org_id).bind("system").bind("organisation.seeded_demo").bind("organisation").bind(&org_id).bind(now)
            .execute(&mut *tx).await.map_err(db_err)?;

        tx.commit().await.map_err(db_err)?;
        Ok(Some(DemoSummary { org_id, users: users.len(), groups: GROUPS.len(), apps: specs.len() }))
    })
}

/// One demo person.
pub struct DemoUser {
    pub local: String,
    pub display_name: String,
    pub job_title: &'static str,
    pub department: &'static str,
    pub role: &'static str,
    pub groups: Vec<&'static str>,
    pub mfa: &'static str,
    pub password_expired: bool,
    pub blocked: bool,
}

/// Fifty people: the documented accounts first, then a deterministic mix.
pub fn demo_users() -> Vec<DemoUser> {
    (0..50)
        .map(|i| {
            let first = FIRST[i % FIRST.len()];
            let last = LAST[(i + i / LAST.len()) % LAST.len()];
            let (department, job_title) = DEPARTMENTS[i % DEPARTMENTS.len()];
            let mut groups: Vec<&'static str> = match department {
                "Engineering" => vec!["Engineering"],
                "Sales" => vec!["Sales"],
                "Marketing" => vec!["Marketing"],
                "Finance" => vec!["Finance"],
                "Human Resources" => vec!["Human Resources"],
                _ => vec!["IT Admins"],
            };
            // Sub-teams: members of these are in the parent only through nesting.
            if department == "Engineering" {
                groups = vec![if i % 4 == 0 { "Platform Team" } else { "Frontend Team" }];
            }
            if department == "Sales" && i % 2 == 1 {
                groups = vec!["Sales EMEA"];
            }
            let local = format!("{}.{}", first.to_lowercase(), ascii_slug(last));
            let local = if i < 25 { local } else { format!("{local}{}", i / 25 + 1) };
            DemoUser {
                local,
                display_name: format!("{first} {last}"),
                job_title,
                department,
                role: match i {
                    1 => "app_admin",
                    2 => "privileged_admin",
                    _ => "user",
                },
                groups,
                mfa: if i == 3 { "enforced" } else { "disabled" },
                password_expired: i == 4,
                blocked: i == 5,
            }
        })
        .collect()
}

fn ascii_slug(s: &str) -> String {
    s.chars()
        .filter_map(|c| match c {
            'ü' => Some('u'),
            '\'' => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_accounts_lead_the_list() {
        let users = demo_users();
        for (i, (local, _)) in DEMO_ACCOUNTS.iter().enumerate() {
            assert_eq!(users[i].local, *local);
        }
        assert_eq!(users[1].role, "app_admin");
        assert_eq!(users[2].role, "privileged_admin");
        let mut locals: Vec<_> = users.iter().map(|u| u.local.clone()).collect();
        locals.sort();
        locals.dedup();
        assert_eq!(locals.len(), 50, "demo UPNs are unique");
    }
}
