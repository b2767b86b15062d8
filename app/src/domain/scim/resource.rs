//! The SCIM resources we serve (RFC 7643): their schemas as we publish
//! them, a User read from a request body, a resource written as JSON, and
//! `attributes` / `excludedAttributes` applied to it.

use super::filter::{get_ci, parse_path, AttrPath};
use super::patch::Shape;
use serde_json::{json, Map, Value};

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
pub const ENTERPRISE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const LIST_RESPONSE_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
pub const SCHEMA_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// A User's attributes as we keep them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserFields {
    pub user_name: String,
    pub external_id: Option<String>,
    pub given_name: String,
    pub family_name: String,
    pub display_name: String,
    pub email: String,
    pub title: String,
    pub department: String,
    pub active: bool,
}

/// A Group's attributes as we keep them (members apart).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GroupFields {
    pub display_name: String,
    pub external_id: Option<String>,
}

/// A body that cannot be a resource: the SCIM error type and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BodyProblem {
    pub scim_type: &'static str,
    pub detail: String,
}

fn problem(detail: impl Into<String>) -> BodyProblem {
    BodyProblem { scim_type: "invalidValue", detail: detail.into() }
}

fn text_of(object: &Map<String, Value>, key: &str) -> Result<Option<String>, BodyProblem> {
    match get_ci(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(_) => Err(problem(format!("\"{key}\" must be a string."))),
    }
}

/// `true`/`false`, or (as some clients send it) the strings "True"/"False".
fn bool_of(object: &Map<String, Value>, key: &str) -> Result<Option<bool>, BodyProblem> {
    match get_ci(object, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("true") => Ok(Some(true)),
        Some(Value::String(s)) if s.eq_ignore_ascii_case("false") => Ok(Some(false)),
        Some(_) => Err(problem(format!("\"{key}\" must be true or false."))),
    }
}

/// The User a POST or PUT body (or a patched resource) describes, and the
/// password it sets, if any. Read-only attributes (`id`, `meta`,
/// `groups`) and attributes we do not keep are ignored, as RFC 7644 §3.3
/// allows; what we keep is checked for its type here and for its value
/// by `domain::users`.
pub fn user_from_json(body: &Value) -> Result<(UserFields, Option<String>), BodyProblem> {
    let o = body.as_object().ok_or_else(|| BodyProblem { scim_type: "invalidSyntax", detail: "The body must be a JSON object.".into() })?;
    let user_name = text_of(o, "userName")?.filter(|s| !s.is_empty()).ok_or_else(|| problem("\"userName\" is required."))?;
    let (given_name, family_name, formatted) = match get_ci(o, "name") {
        None | Some(Value::Null) => (String::new(), String::new(), None),
        Some(Value::Object(name)) => (
            text_of(name, "givenName")?.unwrap_or_default(),
            text_of(name, "familyName")?.unwrap_or_default(),
            text_of(name, "formatted")?.filter(|s| !s.is_empty()),
        ),
        Some(_) => return Err(problem("\"name\" must be an object (givenName, familyName).")),
    };
    let email = match get_ci(o, "emails") {
        None | Some(Value::Null) => String::new(),
        Some(Value::Array(emails)) => {
            let value = |e: &Value| e.as_object().and_then(|e| get_ci(e, "value")).and_then(Value::as_str).map(|s| s.trim().to_string());
            let primary = emails.iter().find(|e| e.as_object().and_then(|e| get_ci(e, "primary")) == Some(&Value::Bool(true)));
            let work = emails.iter().find(|e| {
                e.as_object().and_then(|e| get_ci(e, "type")).and_then(Value::as_str).is_some_and(|t| t.eq_ignore_ascii_case("work"))
            });
            primary.or(work).or(emails.first()).and_then(value).unwrap_or_default()
        }
        Some(_) => return Err(problem("\"emails\" must be an array of {value, type, primary}.")),
    };
    let department = match get_ci(o, ENTERPRISE_USER_SCHEMA) {
        Some(Value::Object(ext)) => text_of(ext, "department")?.unwrap_or_default(),
        _ => String::new(),
    };
    let display_name = text_of(o, "displayName")?
        .filter(|s| !s.is_empty())
        .or(formatted)
        .or_else(|| Some(format!("{given_name} {family_name}").trim().to_string()).filter(|s| !s.is_empty()))
        .unwrap_or_else(|| user_name.split('@').next().unwrap_or(&user_name).to_string());
    let fields = UserFields {
        external_id: text_of(o, "externalId")?.filter(|s| !s.is_empty()),
        given_name,
        family_name,
        display_name,
        email,
        title: text_of(o, "title")?.unwrap_or_default(),
        department,
        active: bool_of(o, "active")?.unwrap_or(true),
        user_name,
    };
    let password = match get_ci(o, "password") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p.clone()),
        Some(_) => return Err(problem("\"password\" must be a string.")),
    };
    Ok((fields, password))
}

/// The Group a POST or PUT body describes, and the member ids it names
/// (`members[].value`; None when the body has no `members`).
pub fn group_from_json(body: &Value) -> Result<(GroupFields, Option<Vec<String>>), BodyProblem> {
    let o = body.as_object().ok_or_else(|| BodyProblem { scim_type: "invalidSyntax", detail: "The body must be a JSON object.".into() })?;
    let display_name = text_of(o, "displayName")?.filter(|s| !s.is_empty()).ok_or_else(|| problem("\"displayName\" is required."))?;
    let members = match get_ci(o, "members") {
        None | Some(Value::Null) => None,
        Some(Value::Array(members)) => Some(
            members
                .iter()
                .map(|m| {
                    m.as_object()
                        .and_then(|m| get_ci(m, "value"))
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .ok_or_else(|| problem("Each member must be an object with a \"value\" (the member's id)."))
                })
                .collect::<Result<Vec<_>, _>>()?,
        ),
        Some(_) => return Err(problem("\"members\" must be an array.")),
    };
    Ok((GroupFields { display_name, external_id: text_of(o, "externalId")?.filter(|s| !s.is_empty()) }, members))
}

/// `meta`: what, when (RFC 3339) and where.
pub struct Meta<'a> {
    pub resource_type: &'a str,
    pub created: String,
    pub last_modified: String,
    pub location: String,
}

/// A group a user is in, for the User's read-only `groups`.
pub struct GroupOfUser {
    pub id: String,
    pub name: String,
    pub direct: bool,
}

/// A User as JSON, without `meta.version` (the ETag is made from this).
pub fn user_json(id: &str, f: &UserFields, groups: &[GroupOfUser], meta: &Meta, base: &str) -> Value {
    let mut user = json!({
        "schemas": [USER_SCHEMA],
        "id": id,
        "userName": f.user_name,
        "displayName": f.display_name,
        "active": f.active,
        "groups": groups.iter().map(|g| json!({
            "value": g.id, "display": g.name, "type": if g.direct { "direct" } else { "indirect" },
            "$ref": format!("{base}/Groups/{}", g.id),
        })).collect::<Vec<_>>(),
        "meta": { "resourceType": meta.resource_type, "created": meta.created, "lastModified": meta.last_modified, "location": meta.location },
    });
    // What is not set is left out (RFC 7643 §2.5: unassigned, not empty).
    let mut name = Map::new();
    for (key, value) in [("givenName", &f.given_name), ("familyName", &f.family_name)] {
        if !value.is_empty() {
            name.insert(key.into(), json!(value));
        }
    }
    if !name.is_empty() {
        user["name"] = Value::Object(name);
    }
    if let Some(external_id) = &f.external_id {
        user["externalId"] = json!(external_id);
    }
    if !f.email.is_empty() {
        user["emails"] = json!([{ "value": f.email, "type": "work", "primary": true }]);
    }
    if !f.title.is_empty() {
        user["title"] = json!(f.title);
    }
    if !f.department.is_empty() {
        user["schemas"] = json!([USER_SCHEMA, ENTERPRISE_USER_SCHEMA]);
        user[ENTERPRISE_USER_SCHEMA] = json!({ "department": f.department });
    }
    user
}

/// A member of a group, for the Group's `members`.
pub struct Member {
    pub id: String,
    pub display: String,
    /// `User` or `Group`.
    pub kind: &'static str,
}

pub fn group_json(id: &str, f: &GroupFields, members: Option<&[Member]>, meta: &Meta, base: &str) -> Value {
    let mut group = json!({
        "schemas": [GROUP_SCHEMA],
        "id": id,
        "displayName": f.display_name,
        "meta": { "resourceType": meta.resource_type, "created": meta.created, "lastModified": meta.last_modified, "location": meta.location },
    });
    if let Some(external_id) = &f.external_id {
        group["externalId"] = json!(external_id);
    }
    if let Some(members) = members {
        group["members"] = members
            .iter()
            .map(|m| json!({ "value": m.id, "display": m.display, "type": m.kind, "$ref": format!("{base}/{}s/{}", m.kind, m.id) }))
            .collect();
    }
    group
}

/// The shape of our resources for PATCH.
pub struct ResourceShape;

impl Shape for ResourceShape {
    fn multi_valued(&self, attr: &str) -> bool {
        ["emails", "groups", "members", "phoneNumbers", "addresses", "roles"].iter().any(|a| a.eq_ignore_ascii_case(attr))
    }
    fn is_extension(&self, uri: &str) -> bool {
        uri.eq_ignore_ascii_case(ENTERPRISE_USER_SCHEMA)
    }
}

/// Reads `attributes` / `excludedAttributes` (comma-separated paths).
pub fn attribute_list(text: &str) -> Result<Vec<AttrPath>, BodyProblem> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            parse_path(s)
                .ok()
                .filter(|p| p.filter.is_none())
                .map(|p| p.attr)
                .ok_or_else(|| BodyProblem { scim_type: "invalidValue", detail: format!("\"{s}\" is not an attribute name.") })
        })
        .collect()
}

fn is_core(uri: &Option<String>) -> bool {
    uri.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(USER_SCHEMA) || u.eq_ignore_ascii_case(GROUP_SCHEMA))
}

/// Applies `attributes` (only these, with `id` and `schemas`, which are
/// always returned) or `excludedAttributes` (all but these; `id` stays).
pub fn select_attributes(resource: &mut Value, attributes: &[AttrPath], excluded: &[AttrPath]) {
    let Some(object) = resource.as_object_mut() else { return };
    if !attributes.is_empty() {
        let mut kept = Map::new();
        for (k, v) in object.iter() {
            if k == "id" || k == "schemas" {
                kept.insert(k.clone(), v.clone());
            }
        }
        for path in attributes {
            let (source, target) = if is_core(&path.uri) {
                (&*object, &mut kept)
            } else {
                let uri = path.uri.clone().unwrap_or_default();
                let Some(Value::Object(ext)) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(&uri)).map(|(_, v)| v) else { continue };
                let Value::Object(target) = kept.entry(uri).or_insert_with(|| Value::Object(Map::new())) else { continue };
                (ext, target)
            };
            let Some((key, value)) = source.iter().find(|(k, _)| k.eq_ignore_ascii_case(&path.attr)) else { continue };
            match (&path.sub, value) {
                (None, v) => {
                    target.insert(key.clone(), v.clone());
                }
                (Some(sub), Value::Object(inner)) => {
                    if let Some((sk, sv)) = inner.iter().find(|(k, _)| k.eq_ignore_ascii_case(sub)) {
                        let Value::Object(t) = target.entry(key.clone()).or_insert_with(|| Value::Object(Map::new())) else { continue };
                        t.insert(sk.clone(), sv.clone());
                    }
                }
                (Some(sub), Value::Array(items)) => {
                    let picked: Vec<Value> = items
                        .iter()
                        .filter_map(|i| i.as_object()?.iter().find(|(k, _)| k.eq_ignore_ascii_case(sub)).map(|(k, v)| json!({ k: v })))
                        .collect();
                    target.insert(key.clone(), Value::Array(picked));
                }
                _ => {}
            }
        }
        *object = kept;
    }
    for path in excluded {
        if path.attr.eq_ignore_ascii_case("id") || path.attr.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let holder = if is_core(&path.uri) {
            Some(&mut *object)
        } else {
            let uri = path.uri.clone().unwrap_or_default();
            object.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(&uri)).and_then(|(_, v)| v.as_object_mut())
        };
        let Some(holder) = holder else { continue };
        let Some(key) = holder.keys().find(|k| k.eq_ignore_ascii_case(&path.attr)).cloned() else { continue };
        match &path.sub {
            None => {
                holder.remove(&key);
            }
            Some(sub) => match holder.get_mut(&key) {
                Some(Value::Object(inner)) => inner.retain(|k, _| !k.eq_ignore_ascii_case(sub)),
                Some(Value::Array(items)) => {
                    for i in items.iter_mut().filter_map(Value::as_object_mut) {
                        i.retain(|k, _| !k.eq_ignore_ascii_case(sub));
                    }
                }
                _ => {}
            },
        }
    }
}

fn attr(name: &str, kind: &str, description: &str) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": false, "description": description, "required": false,
        "caseExact": false, "mutability": "readWrite", "returned": "default", "uniqueness": "none",
    })
}

fn with(mut a: Value, changes: Value) -> Value {
    if let (Value::Object(a), Value::Object(c)) = (&mut a, changes) {
        a.extend(c);
    }
    a
}

/// The schemas we publish at `/Schemas` (RFC 7643 §7): the attributes we
/// keep, with their real mutability and uniqueness.
pub fn schemas(base: &str) -> Vec<Value> {
    let user = json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": USER_SCHEMA, "name": "User", "description": "A person of the organisation",
        "attributes": [
            with(attr("userName", "string", "The sign-in name (UPN), unique in the organisation regardless of case"),
                json!({"required": true, "uniqueness": "server"})),
            with(attr("externalId", "string", "The provisioning client's own id for the user"), json!({"caseExact": true})),
            with(attr("name", "complex", "The person's name"), json!({"subAttributes": [
                attr("givenName", "string", "Given name"),
                attr("familyName", "string", "Family name"),
            ]})),
            attr("displayName", "string", "The name shown to people; given and family name (or the sign-in name) when left out: every user has one"),
            attr("title", "string", "Job title"),
            attr("active", "boolean", "False blocks sign-in and ends the user's sessions; left out, true (every user has a sign-in state)"),
            with(attr("password", "string", "Sets the password (write-only: never returned)"),
                json!({"mutability": "writeOnly", "returned": "never"})),
            with(attr("emails", "complex", "The work e-mail address (one is kept: the primary, else the work one)"), json!({
                "multiValued": true,
                "subAttributes": [
                    attr("value", "string", "The address"),
                    with(attr("type", "string", "Always work"), json!({"canonicalValues": ["work"]})),
                    attr("primary", "boolean", "Always true"),
                ]})),
            with(attr("groups", "complex", "The groups the user is in, directly or through nested groups"), json!({
                "multiValued": true, "mutability": "readOnly",
                "subAttributes": [
                    with(attr("value", "string", "The group's id"), json!({"mutability": "readOnly"})),
                    with(attr("display", "string", "The group's name"), json!({"mutability": "readOnly"})),
                    with(attr("type", "string", "direct or indirect"), json!({"mutability": "readOnly", "canonicalValues": ["direct", "indirect"]})),
                    with(attr("$ref", "reference", "The group"), json!({"mutability": "readOnly", "referenceTypes": ["Group"]})),
                ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{USER_SCHEMA}")},
    });
    let enterprise = json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": ENTERPRISE_USER_SCHEMA, "name": "EnterpriseUser", "description": "Enterprise attributes of a user",
        "attributes": [attr("department", "string", "Department")],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{ENTERPRISE_USER_SCHEMA}")},
    });
    let group = json!({
        "schemas": [SCHEMA_SCHEMA],
        "id": GROUP_SCHEMA, "name": "Group", "description": "A group of users and of groups",
        "attributes": [
            with(attr("displayName", "string", "The group's name, unique in the organisation regardless of case"),
                json!({"required": true, "uniqueness": "server"})),
            with(attr("externalId", "string", "The provisioning client's own id for the group"), json!({"caseExact": true})),
            with(attr("members", "complex", "Users and groups in the group (nesting a group that contains this one is refused)"), json!({
                "multiValued": true,
                "subAttributes": [
                    with(attr("value", "string", "The member's id"), json!({"mutability": "immutable"})),
                    with(attr("display", "string", "The member's name"), json!({"mutability": "readOnly"})),
                    with(attr("type", "string", "User or Group"), json!({"mutability": "immutable", "canonicalValues": ["User", "Group"]})),
                    with(attr("$ref", "reference", "The member"), json!({"mutability": "immutable", "referenceTypes": ["User", "Group"]})),
                ]})),
        ],
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{GROUP_SCHEMA}")},
    });
    vec![user, enterprise, group]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_body_is_read_as_clients_send_it() {
        let (u, password) = user_from_json(&json!({
            "schemas": [USER_SCHEMA], "UserName": "alex@x.example", "externalId": "E1",
            "name": {"givenName": "Alex", "familyName": "Wu"},
            "emails": [{"value": "home@x.example", "type": "home"}, {"value": "alex@x.example", "type": "work"}],
            "active": "False", ENTERPRISE_USER_SCHEMA: {"department": "Eng"}, "password": "pw", "id": "ignored"
        }))
        .unwrap();
        assert_eq!(u.user_name, "alex@x.example");
        assert_eq!(u.display_name, "Alex Wu", "from the name when displayName is left out");
        assert_eq!(u.email, "alex@x.example", "the work address when none is primary");
        assert!(!u.active);
        assert_eq!((u.department.as_str(), u.external_id.as_deref(), password.as_deref()), ("Eng", Some("E1"), Some("pw")));
        assert_eq!(user_from_json(&json!({"displayName": "x"})).unwrap_err().detail, "\"userName\" is required.");
        assert_eq!(user_from_json(&json!({"userName": 5})).unwrap_err().scim_type, "invalidValue");
        assert_eq!(user_from_json(&json!({"userName": "a@b.c", "active": "maybe"})).unwrap_err().scim_type, "invalidValue");
        assert_eq!(user_from_json(&json!([1])).unwrap_err().scim_type, "invalidSyntax");
    }

    #[test]
    fn attributes_and_excluded_attributes() {
        let meta = Meta { resource_type: "User", created: "c".into(), last_modified: "m".into(), location: "l".into() };
        let f = UserFields {
            user_name: "a@x.example".into(),
            given_name: "A".into(),
            department: "Eng".into(),
            active: true,
            ..Default::default()
        };
        let full = user_json("1", &f, &[], &meta, "/scim/v2");
        let mut r = full.clone();
        select_attributes(
            &mut r,
            &attribute_list("userName, name.givenName, urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap(),
            &[],
        );
        assert_eq!(
            r,
            json!({"schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA], "id": "1", "userName": "a@x.example",
            "name": {"givenName": "A"}, ENTERPRISE_USER_SCHEMA: {"department": "Eng"}})
        );
        let mut r = full.clone();
        select_attributes(&mut r, &[], &attribute_list("groups,meta,id,name.familyName").unwrap());
        assert!(r.get("groups").is_none() && r.get("meta").is_none() && r["id"] == "1");
        assert!(r["name"].get("familyName").is_none() && r["name"]["givenName"] == "A");
        assert!(attribute_list("emails[type eq \"work\"]").is_err());
    }

    #[test]
    fn a_group_body_names_its_members() {
        let (g, members) =
            group_from_json(&json!({"displayName": "Sales", "members": [{"value": "u1"}, {"value": "g2", "type": "Group"}]})).unwrap();
        assert_eq!(g.display_name, "Sales");
        assert_eq!(members, Some(vec!["u1".to_string(), "g2".to_string()]));
        assert!(group_from_json(&json!({"displayName": "x", "members": [{"display": "no value"}]})).is_err());
        assert!(group_from_json(&json!({})).is_err());
    }
}
