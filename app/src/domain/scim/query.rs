//! A list request's filter, checked against what each resource can be
//! filtered on and turned into typed conditions the store writes as SQL
//! (the domain says what an attribute means; the store, which column).

use super::filter::{AttrPath, CompareOp, Filter};
use super::resource::{ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA, USER_SCHEMA};
use crate::domain::model::Millis;
use serde_json::Value;

/// What a User can be filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserAttr {
    Id,
    /// Compared without case (the normalised UPN).
    UserName,
    /// Compared exactly (caseExact).
    ExternalId,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    Title,
    Department,
    Active,
    Created,
    LastModified,
}

/// What a Group can be filtered on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupAttr {
    Id,
    DisplayName,
    ExternalId,
    Created,
    /// A direct member's id (user or group).
    Member,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operand {
    /// Lower-cased for attributes compared without case.
    Text(String),
    Bool(bool),
    Time(Millis),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cond<A> {
    And(Box<Cond<A>>, Box<Cond<A>>),
    Or(Box<Cond<A>>, Box<Cond<A>>),
    Not(Box<Cond<A>>),
    Present(A),
    Compare(A, CompareOp, Operand),
    /// Always so (`emails.type eq "work"`: every address we keep is one) or never.
    Const(bool),
}

/// Why a filter cannot be used: for `invalidFilter`.
pub type FilterProblem = String;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Compared without case.
    Text,
    /// Compared exactly.
    ExactText,
    Bool,
    Time,
}

trait Attribute: Copy {
    fn kind(self) -> Kind;
}

impl Attribute for UserAttr {
    fn kind(self) -> Kind {
        match self {
            UserAttr::Id | UserAttr::ExternalId => Kind::ExactText,
            UserAttr::Active => Kind::Bool,
            UserAttr::Created | UserAttr::LastModified => Kind::Time,
            _ => Kind::Text,
        }
    }
}

impl Attribute for GroupAttr {
    fn kind(self) -> Kind {
        match self {
            GroupAttr::Id | GroupAttr::ExternalId | GroupAttr::Member => Kind::ExactText,
            GroupAttr::Created => Kind::Time,
            GroupAttr::DisplayName => Kind::Text,
        }
    }
}

fn schema_ok(path: &AttrPath, core: &str) -> bool {
    path.uri.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(core))
}

fn user_attr(path: &AttrPath) -> Option<UserAttr> {
    if path.uri.as_deref().is_some_and(|u| u.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)) {
        return path.is("department", None).then_some(UserAttr::Department);
    }
    if !schema_ok(path, USER_SCHEMA) {
        return None;
    }
    let table: [(&str, Option<&str>, UserAttr); 13] = [
        ("id", None, UserAttr::Id),
        ("userName", None, UserAttr::UserName),
        ("externalId", None, UserAttr::ExternalId),
        ("displayName", None, UserAttr::DisplayName),
        ("name", Some("givenName"), UserAttr::GivenName),
        ("name", Some("familyName"), UserAttr::FamilyName),
        ("emails", None, UserAttr::Email),
        ("emails", Some("value"), UserAttr::Email),
        ("title", None, UserAttr::Title),
        ("active", None, UserAttr::Active),
        ("meta", Some("created"), UserAttr::Created),
        ("meta", Some("lastModified"), UserAttr::LastModified),
        // The enterprise extension's attribute, unqualified (as some clients send it).
        ("department", None, UserAttr::Department),
    ];
    table.iter().find(|(a, s, _)| path.is(a, *s)).map(|(.., attr)| *attr)
}

fn group_attr(path: &AttrPath) -> Option<GroupAttr> {
    if !schema_ok(path, GROUP_SCHEMA) {
        return None;
    }
    [
        ("id", None, GroupAttr::Id),
        ("displayName", None, GroupAttr::DisplayName),
        ("externalId", None, GroupAttr::ExternalId),
        ("meta", Some("created"), GroupAttr::Created),
        ("members", None, GroupAttr::Member),
        ("members", Some("value"), GroupAttr::Member),
    ]
    .iter()
    .find(|(a, s, _)| path.is(a, *s))
    .map(|(.., attr)| *attr)
}

fn operand(kind: Kind, op: CompareOp, value: &Value, name: &str) -> Result<Operand, FilterProblem> {
    use CompareOp::*;
    match (kind, value) {
        (Kind::Text, Value::String(s)) => Ok(Operand::Text(s.to_lowercase())),
        (Kind::ExactText, Value::String(s)) => Ok(Operand::Text(s.clone())),
        (Kind::Bool, Value::Bool(b)) if matches!(op, Eq | Ne) => Ok(Operand::Bool(*b)),
        (Kind::Time, Value::String(s)) if matches!(op, Eq | Ne | Gt | Lt | Ge | Le) => crate::domain::logs::parse_time(s)
            .map(Operand::Time)
            .ok_or_else(|| format!("\"{name}\" compares with a time like \"2026-01-31T09:00:00Z\"")),
        (Kind::Bool, _) => Err(format!("\"{name}\" compares with eq or ne and true or false")),
        (Kind::Time, _) => Err(format!("\"{name}\" compares with eq, ne, gt, ge, lt or le and a time")),
        _ => Err(format!("\"{name}\" compares with a \"string\"")),
    }
}

fn convert<A: Attribute>(
    f: &Filter,
    resolve: &dyn Fn(&AttrPath) -> Option<A>,
    what: &str,
    within: Option<&str>,
) -> Result<Cond<A>, FilterProblem> {
    let unknown = |p: &AttrPath| format!("{what}s cannot be filtered on \"{}\"", p.text());
    // Inside `emails[...]` / `members[...]` paths are sub-attributes.
    let scoped = |p: &AttrPath| match within {
        Some(parent) => AttrPath { uri: None, attr: parent.to_string(), sub: Some(p.attr.clone()) },
        None => p.clone(),
    };
    Ok(match f {
        Filter::And(a, b) => Cond::And(Box::new(convert(a, resolve, what, within)?), Box::new(convert(b, resolve, what, within)?)),
        Filter::Or(a, b) => Cond::Or(Box::new(convert(a, resolve, what, within)?), Box::new(convert(b, resolve, what, within)?)),
        Filter::Not(a) => Cond::Not(Box::new(convert(a, resolve, what, within)?)),
        Filter::Has(path, inner) => {
            if within.is_some() || path.sub.is_some() {
                return Err("A [filter] cannot be nested in another".into());
            }
            convert(inner, resolve, what, Some(&path.attr))?
        }
        Filter::Present(p) => {
            let p = scoped(p);
            if p.is("emails", Some("type")) || p.is("emails", Some("primary")) {
                return Ok(Cond::Present(resolve(&AttrPath { uri: None, attr: "emails".into(), sub: None }).ok_or_else(|| unknown(&p))?));
            }
            Cond::Present(resolve(&p).ok_or_else(|| unknown(&p))?)
        }
        Filter::Compare(p, op, value) => {
            let p = scoped(p);
            // The one address we keep is the primary, work one.
            if p.is("emails", Some("type")) && resolve(&AttrPath { uri: None, attr: "emails".into(), sub: None }).is_some() {
                let work = value.as_str().is_some_and(|t| t.eq_ignore_ascii_case("work"));
                return Ok(match op {
                    CompareOp::Eq => Cond::Const(work),
                    CompareOp::Ne => Cond::Const(!work),
                    _ => return Err("\"emails.type\" compares with eq or ne".into()),
                });
            }
            if p.is("emails", Some("primary")) && resolve(&AttrPath { uri: None, attr: "emails".into(), sub: None }).is_some() {
                return Ok(Cond::Const(value == &Value::Bool(*op == CompareOp::Eq)));
            }
            let attr = resolve(&p).ok_or_else(|| unknown(&p))?;
            if value.is_null() {
                return Ok(match op {
                    CompareOp::Eq => Cond::Not(Box::new(Cond::Present(attr))),
                    CompareOp::Ne => Cond::Present(attr),
                    _ => return Err(format!("\"{}\" compares with null only with eq or ne", p.text())),
                });
            }
            Cond::Compare(attr, *op, operand(attr.kind(), *op, value, &p.text())?)
        }
    })
}

pub fn user_conditions(f: &Filter) -> Result<Cond<UserAttr>, FilterProblem> {
    convert(f, &user_attr, "User", None)
}

pub fn group_conditions(f: &Filter) -> Result<Cond<GroupAttr>, FilterProblem> {
    convert(f, &group_attr, "Group", None)
}

#[cfg(test)]
mod tests {
    use super::super::filter::parse_filter;
    use super::*;

    fn user(f: &str) -> Result<Cond<UserAttr>, FilterProblem> {
        user_conditions(&parse_filter(f).unwrap())
    }

    #[test]
    fn user_filters_name_our_attributes_with_typed_values() {
        assert_eq!(
            user(r#"userName eq "Alex@X.example""#).unwrap(),
            Cond::Compare(UserAttr::UserName, CompareOp::Eq, Operand::Text("alex@x.example".into()))
        );
        assert_eq!(
            user(r#"externalId eq "AbC""#).unwrap(),
            Cond::Compare(UserAttr::ExternalId, CompareOp::Eq, Operand::Text("AbC".into())),
            "caseExact"
        );
        assert_eq!(
            user(r#"emails[type eq "work" and value co "@x"]"#).unwrap(),
            Cond::And(Box::new(Cond::Const(true)), Box::new(Cond::Compare(UserAttr::Email, CompareOp::Co, Operand::Text("@x".into()))))
        );
        assert_eq!(user("active eq false").unwrap(), Cond::Compare(UserAttr::Active, CompareOp::Eq, Operand::Bool(false)));
        assert!(matches!(
            user(r#"meta.lastModified gt "2026-01-01T00:00:00Z""#).unwrap(),
            Cond::Compare(UserAttr::LastModified, CompareOp::Gt, Operand::Time(_))
        ));
        assert!(user(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Eng""#).is_ok());
        assert_eq!(user("title eq null").unwrap(), Cond::Not(Box::new(Cond::Present(UserAttr::Title))));
    }

    #[test]
    fn what_cannot_be_filtered_is_named() {
        assert_eq!(user(r#"nickName eq "x""#).unwrap_err(), "Users cannot be filtered on \"nickName\"");
        assert!(user(r#"password eq "x""#).is_err());
        assert!(user("userName eq 5").unwrap_err().contains("\"userName\" compares with a \"string\""));
        assert!(user(r#"active co "t""#).is_err());
        assert!(user(r#"meta.created gt "yesterday""#).is_err());
        assert!(user(r#"urn:ietf:params:scim:schemas:core:2.0:Group:displayName eq "x""#).is_err());
    }

    #[test]
    fn group_filters() {
        let g = |f: &str| group_conditions(&parse_filter(f).unwrap());
        assert_eq!(
            g(r#"displayName eq "Sales""#).unwrap(),
            Cond::Compare(GroupAttr::DisplayName, CompareOp::Eq, Operand::Text("sales".into()))
        );
        for f in [r#"members eq "u1""#, r#"members.value eq "u1""#, r#"members[value eq "u1"]"#] {
            assert_eq!(g(f).unwrap(), Cond::Compare(GroupAttr::Member, CompareOp::Eq, Operand::Text("u1".into())), "{f}");
        }
        assert!(g(r#"userName eq "x""#).is_err());
    }
}
