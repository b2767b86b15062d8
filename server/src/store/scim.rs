//! Users as SCIM provisions them: lists filtered by `domain::scim::query`
//! conditions, written here as SQL with every value bound, paged by
//! offset (SCIM's `startIndex`) in UPN order with the total count; a
//! whole-resource write; deletion with the seats it frees.

use super::access::recompute_license_seats;
use super::{db_err, insert_audit_event, Pool, SqlStore};
use app::domain::scim::filter::CompareOp;
use app::domain::scim::query::{Cond, Operand, UserAttr};
use app::domain::scim::resource::{GroupOfUser, UserFields};
use app::ports::*;
use async_trait::async_trait;

/// A value bound to a `$n`.
#[derive(Clone, Debug)]
pub(super) enum Bind {
    Text(String),
    Int(i64),
    Bool(bool),
}

/// A condition as SQL, its values numbered after the ones before it.
pub(super) struct Where {
    pub(super) binds: Vec<Bind>,
    /// How many `$n` the query uses before these (the organisation: 1).
    first: usize,
}

impl Where {
    pub(super) fn new(first: usize) -> Self {
        Where { binds: vec![], first }
    }

    fn bind(&mut self, b: Bind) -> String {
        self.binds.push(b);
        format!("${}", self.first + self.binds.len())
    }

    pub(super) fn bind_text(&mut self, text: &str) -> String {
        self.bind(Bind::Text(text.to_string()))
    }
}

/// `co`, `sw`, `ew` as LIKE patterns, with LIKE's own characters escaped.
fn like_pattern(op: CompareOp, text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    match op {
        CompareOp::Co => format!("%{escaped}%"),
        CompareOp::Sw => format!("{escaped}%"),
        _ => format!("%{escaped}"),
    }
}

fn sql_op(op: CompareOp) -> &'static str {
    match op {
        CompareOp::Eq => "=",
        CompareOp::Ne => "<>",
        CompareOp::Gt => ">",
        CompareOp::Lt => "<",
        CompareOp::Ge => ">=",
        CompareOp::Le => "<=",
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => "LIKE",
    }
}

/// A text comparison on `column` (already lower-cased when the attribute
/// is compared without case).
fn text_condition(w: &mut Where, column: &str, nullable: bool, op: CompareOp, text: &str) -> String {
    match op {
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
            let p = w.bind(Bind::Text(like_pattern(op, text)));
            format!("{column} LIKE {p} ESCAPE '\\'")
        }
        CompareOp::Ne if nullable => {
            let p = w.bind(Bind::Text(text.to_string()));
            format!("({column} IS NULL OR {column} <> {p})")
        }
        op => {
            let p = w.bind(Bind::Text(text.to_string()));
            format!("{column} {} {p}", sql_op(op))
        }
    }
}

/// The column an attribute is, and whether it may be NULL.
fn user_column(a: UserAttr) -> (&'static str, bool) {
    match a {
        UserAttr::Id => ("u.id", false),
        UserAttr::UserName => ("u.upn_normalized", false),
        UserAttr::ExternalId => ("u.external_id", true),
        UserAttr::DisplayName => ("lower(u.display_name)", false),
        UserAttr::GivenName => ("lower(u.given_name)", false),
        UserAttr::FamilyName => ("lower(u.family_name)", false),
        UserAttr::Email => ("lower(u.email)", false),
        UserAttr::Title => ("lower(u.job_title)", false),
        UserAttr::Department => ("lower(u.department)", false),
        UserAttr::Active => ("u.sign_in_blocked", false),
        UserAttr::Created => ("u.created_at", false),
        UserAttr::LastModified => ("u.updated_at", false),
    }
}

pub(super) fn condition<A: Copy>(
    w: &mut Where,
    c: &Cond<A>,
    column: &dyn Fn(A) -> (&'static str, bool),
    special: &dyn Fn(&mut Where, A, CompareOp, &Operand) -> Option<String>,
) -> String {
    match c {
        Cond::And(a, b) => format!("({} AND {})", condition(w, a, column, special), condition(w, b, column, special)),
        Cond::Or(a, b) => format!("({} OR {})", condition(w, a, column, special), condition(w, b, column, special)),
        Cond::Not(a) => format!("(NOT {})", condition(w, a, column, special)),
        Cond::Const(true) => "(1 = 1)".into(),
        Cond::Const(false) => "(1 = 0)".into(),
        Cond::Present(a) => {
            let (col, nullable) = column(*a);
            if col.contains("_at") || col.ends_with("sign_in_blocked") || col == "u.id" || col == "g.id" {
                "(1 = 1)".into()
            } else if nullable {
                format!("({col} IS NOT NULL AND {col} <> '')")
            } else {
                format!("({col} <> '')")
            }
        }
        Cond::Compare(a, op, value) => {
            if let Some(sql) = special(w, *a, *op, value) {
                return sql;
            }
            let (col, nullable) = column(*a);
            match value {
                Operand::Text(t) => text_condition(w, col, nullable, *op, t),
                Operand::Bool(b) => {
                    let p = w.bind(Bind::Bool(*b));
                    format!("{col} {} {p}", sql_op(*op))
                }
                Operand::Time(t) => {
                    let p = w.bind(Bind::Int(*t));
                    format!("{col} {} {p}", sql_op(*op))
                }
            }
        }
    }
}

/// `active` is the opposite of the column that holds it.
fn user_special(w: &mut Where, a: UserAttr, op: CompareOp, value: &Operand) -> Option<String> {
    match (a, value) {
        (UserAttr::Active, Operand::Bool(active)) => {
            let p = w.bind(Bind::Bool(!active));
            Some(format!("u.sign_in_blocked {} {p}", sql_op(op)))
        }
        _ => None,
    }
}

macro_rules! bind_all {
    ($q:expr, $binds:expr) => {{
        let mut q = $q;
        for b in $binds {
            q = match b {
                Bind::Text(s) => q.bind(s.clone()),
                Bind::Int(i) => q.bind(*i),
                Bind::Bool(v) => q.bind(*v),
            };
        }
        q
    }};
}

const USER_COLUMNS: &str = "u.id, u.upn, u.external_id, u.given_name, u.family_name, u.display_name, u.email, u.job_title, \
     u.department, u.sign_in_blocked, u.created_at, u.updated_at";

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    upn: String,
    external_id: Option<String>,
    given_name: String,
    family_name: String,
    display_name: String,
    email: String,
    job_title: String,
    department: String,
    sign_in_blocked: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<UserRow> for ScimUserRecord {
    fn from(r: UserRow) -> Self {
        ScimUserRecord {
            id: r.id,
            fields: UserFields {
                user_name: r.upn,
                external_id: r.external_id,
                given_name: r.given_name,
                family_name: r.family_name,
                display_name: r.display_name,
                email: r.email,
                title: r.job_title,
                department: r.department,
                active: !r.sign_in_blocked,
            },
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A page of rows matching `conditions`, and the count of all that match.
pub(super) async fn page<R>(
    pool: &Pool,
    select: &str,
    count: &str,
    order: &str,
    w: &Where,
    offset: u64,
    limit: u32,
) -> StoreResult<(u64, Vec<R>)>
where
    R: Send + Unpin + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
{
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let rows_sql = format!("{select} ORDER BY {order} LIMIT {limit} OFFSET {offset}");
    crate::on_pool!(pool, p => {
        let total: i64 = bind_all!(sqlx::query_scalar(count), &w.binds).fetch_one(p).await.map_err(db_err)?;
        let rows: Vec<R> = if limit == 0 {
            vec![]
        } else {
            bind_all!(sqlx::query_as::<_, R>(&rows_sql), &w.binds).fetch_all(p).await.map_err(db_err)?
        };
        Ok((total.max(0) as u64, rows))
    })
}

#[async_trait]
impl ScimStore for SqlStore {
    async fn scim_users(
        &self,
        org_id: &str,
        filter: Option<&Cond<UserAttr>>,
        offset: u64,
        count: u32,
    ) -> StoreResult<ScimPage<ScimUserRecord>> {
        let mut w = Where::new(1);
        let cond = filter.map(|f| condition(&mut w, f, &user_column, &user_special)).unwrap_or_else(|| "(1 = 1)".into());
        w.binds.insert(0, Bind::Text(org_id.to_string()));
        let select = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND {cond}");
        let count_sql = format!("SELECT COUNT(*) FROM users u WHERE u.org_id = $1 AND {cond}");
        let (total, rows) = page::<UserRow>(&self.pool, &select, &count_sql, "u.upn_normalized", &w, offset, count).await?;
        Ok(ScimPage { total, items: rows.into_iter().map(ScimUserRecord::from).collect() })
    }

    async fn scim_user(&self, org_id: &str, user_id: &str) -> StoreResult<Option<ScimUserRecord>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users u WHERE u.org_id = $1 AND u.id = $2");
        let row: Option<UserRow> =
            crate::on_pool!(&self.pool, p => sqlx::query_as(&sql).bind(org_id).bind(user_id).fetch_optional(p).await.map_err(db_err))?;
        Ok(row.map(ScimUserRecord::from))
    }

    async fn scim_user_groups(&self, org_id: &str, user_id: &str) -> StoreResult<Vec<GroupOfUser>> {
        let rows: Vec<(String, String, i64)> = crate::on_pool!(&self.pool, p => sqlx::query_as(
            "WITH RECURSIVE up(group_id, direct) AS ( \
                 SELECT group_id, 1 FROM group_user_members WHERE org_id = $1 AND user_id = $2 \
                 UNION \
                 SELECT m.group_id, 0 FROM group_group_members m JOIN up ON m.member_group_id = up.group_id \
             ) \
             SELECT g.id, g.name, CAST(MAX(up.direct) AS BIGINT) FROM up \
             JOIN user_groups g ON g.org_id = $1 AND g.id = up.group_id GROUP BY g.id, g.name ORDER BY g.name")
            .bind(org_id).bind(user_id).fetch_all(p).await.map_err(db_err))?;
        Ok(rows.into_iter().map(|(id, name, direct)| GroupOfUser { id, name, direct: direct == 1 }).collect())
    }

    async fn scim_create_user(
        &self,
        org_id: &str,
        user_id: &str,
        f: &UserFields,
        password_hash: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let at = audit.at;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            sqlx::query(
                "INSERT INTO users (id, org_id, upn, upn_normalized, external_id, given_name, family_name, display_name, email, \
                 job_title, department, sign_in_blocked, role, password_hash, password_changed_at, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'user', $13, $14, $15, $15)")
                .bind(user_id).bind(org_id).bind(&f.user_name).bind(f.user_name.to_lowercase()).bind(&f.external_id)
                .bind(&f.given_name).bind(&f.family_name).bind(&f.display_name).bind(&f.email).bind(&f.title).bind(&f.department)
                .bind(!f.active).bind(password_hash).bind(password_hash.map(|_| at)).bind(at)
                .execute(&mut *tx).await.map_err(db_err)?;
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)
        })
    }

    async fn scim_replace_user(
        &self,
        org_id: &str,
        user_id: &str,
        f: &UserFields,
        password_hash: Option<&str>,
        audit: AuditEvent,
    ) -> StoreResult<bool> {
        let at = audit.at;
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            let done = sqlx::query(
                "UPDATE users SET upn = $3, upn_normalized = $4, external_id = $5, given_name = $6, family_name = $7, \
                 display_name = $8, email = $9, job_title = $10, department = $11, sign_in_blocked = $12, updated_at = $13, \
                 password_hash = COALESCE($14, password_hash), \
                 password_changed_at = CASE WHEN $14 IS NULL THEN password_changed_at ELSE $13 END, \
                 must_change_password = CASE WHEN $14 IS NULL THEN must_change_password ELSE FALSE END \
                 WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(user_id).bind(&f.user_name).bind(f.user_name.to_lowercase()).bind(&f.external_id)
                .bind(&f.given_name).bind(&f.family_name).bind(&f.display_name).bind(&f.email).bind(&f.title).bind(&f.department)
                .bind(!f.active).bind(at).bind(password_hash)
                .execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if !done {
                return Ok(false);
            }
            if !f.active || password_hash.is_some() {
                sqlx::query("DELETE FROM sessions WHERE org_id = $1 AND user_id = $2")
                    .bind(org_id).bind(user_id).execute(&mut *tx).await.map_err(db_err)?;
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }

    async fn delete_user(&self, org_id: &str, user_id: &str, audit: AuditEvent) -> StoreResult<bool> {
        crate::on_pool!(&self.pool, p => {
            let mut tx = p.begin().await.map_err(db_err)?;
            // The licenses they claim, whose seats their going moves.
            let seats: Vec<(String, String, String, bool)> = sqlx::query_as(&super::access::USER_SEATS)
                .bind(org_id).bind(user_id).fetch_all(&mut *tx).await.map_err(db_err)?;
            let licenses: Vec<String> = seats.into_iter().map(|(license_id, ..)| license_id).collect();
            let done = sqlx::query("DELETE FROM users WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(user_id).execute(&mut *tx).await.map_err(db_err)?.rows_affected() == 1;
            if !done {
                return Ok(false);
            }
            for license_id in &licenses {
                recompute_license_seats!(&mut *tx, org_id, license_id);
            }
            insert_audit_event!(&mut *tx, audit)?;
            tx.commit().await.map_err(db_err)?;
            Ok(true)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_patterns_escape_what_like_would_read() {
        assert_eq!(like_pattern(CompareOp::Co, "50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(like_pattern(CompareOp::Sw, "a"), "a%");
        assert_eq!(like_pattern(CompareOp::Ew, "a"), "%a");
    }
}
