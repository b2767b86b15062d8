//! PATCH (RFC 7644 §3.5.2) applied to a resource as JSON: `add`,
//! `remove` and `replace`, with or without a path, value filters
//! (`emails[type eq "work"].value`), attribute names in any case. The
//! caller then reads the patched resource back as it reads a PUT, so a
//! PATCH can set exactly what a replace can and is checked the same way.

use super::filter::{get_ci, matches, parse_path, PatchPath};
use serde_json::{Map, Value};

pub const PATCH_OP_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// More operations than any client sends in one request.
pub const MAX_OPERATIONS: usize = 1000;

/// A refused PATCH: the SCIM error type and a sentence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PatchError {
    pub scim_type: &'static str,
    pub detail: String,
}

fn error(scim_type: &'static str, detail: impl Into<String>) -> PatchError {
    PatchError { scim_type, detail: detail.into() }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Add,
    Remove,
    Replace,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Operation {
    pub op: Op,
    pub path: Option<PatchPath>,
    /// The path as written, for messages.
    pub path_text: String,
    pub value: Option<Value>,
}

/// A path or key that is a schema extension's URN itself names the
/// extension's object (a top-level key), not an attribute in it.
fn path_of(text: &str, shape: &dyn Shape) -> Result<PatchPath, super::filter::ParseError> {
    if shape.is_extension(text.trim()) {
        let attr = super::filter::AttrPath { uri: None, attr: text.trim().to_string(), sub: None };
        return Ok(PatchPath { attr, filter: None, sub_after_filter: None });
    }
    parse_path(text)
}

/// Reads a PatchOp request body.
pub fn parse_patch(body: &Value, shape: &dyn Shape) -> Result<Vec<Operation>, PatchError> {
    let object = body.as_object().ok_or_else(|| error("invalidSyntax", "The body must be a JSON object (a PatchOp message)."))?;
    let schemas = get_ci(object, "schemas").and_then(Value::as_array);
    if !schemas.is_some_and(|s| s.iter().any(|v| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(PATCH_OP_SCHEMA)))) {
        return Err(error("invalidSyntax", format!("\"schemas\" must contain \"{PATCH_OP_SCHEMA}\".")));
    }
    let ops = get_ci(object, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| error("invalidSyntax", "\"Operations\" must be an array of operations."))?;
    if ops.is_empty() || ops.len() > MAX_OPERATIONS {
        return Err(error("invalidSyntax", format!("Send 1 to {MAX_OPERATIONS} operations.")));
    }
    ops.iter()
        .enumerate()
        .map(|(n, op)| {
            let o = op.as_object().ok_or_else(|| error("invalidSyntax", format!("Operation {} is not an object.", n + 1)))?;
            let kind = match get_ci(o, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
                Some("add") => Op::Add,
                Some("remove") => Op::Remove,
                Some("replace") => Op::Replace,
                _ => return Err(error("invalidSyntax", format!("Operation {}: \"op\" must be add, remove or replace.", n + 1))),
            };
            let path_text = get_ci(o, "path").and_then(Value::as_str).unwrap_or("").trim().to_string();
            let path = if path_text.is_empty() {
                None
            } else {
                Some(path_of(&path_text, shape).map_err(|e| error("invalidPath", format!("Operation {}: {}.", n + 1, e.0)))?)
            };
            let value = get_ci(o, "value").cloned();
            match (kind, &path, &value) {
                (Op::Remove, None, _) => Err(error("noTarget", format!("Operation {}: remove needs a \"path\".", n + 1))),
                (Op::Add | Op::Replace, _, None) => {
                    Err(error("invalidValue", format!("Operation {}: {kind:?} needs a \"value\".", n + 1).to_lowercase()))
                }
                (Op::Add | Op::Replace, None, Some(v)) if !v.is_object() => {
                    Err(error("invalidValue", format!("Operation {}: without a path, the value must be an object of attributes.", n + 1)))
                }
                _ => Ok(Operation { op: kind, path, path_text, value }),
            }
        })
        .collect()
}

/// Which top-level attributes are multi-valued (values are appended by
/// `add`), in the resource's schema.
pub trait Shape {
    fn multi_valued(&self, attr: &str) -> bool;
    /// The schema URNs whose attributes sit under their own key.
    fn is_extension(&self, uri: &str) -> bool;
}

/// Applies the operations in order; any failure leaves the caller's copy
/// to be thrown away (nothing is written).
pub fn apply(resource: &mut Value, ops: &[Operation], shape: &dyn Shape) -> Result<(), PatchError> {
    for op in ops {
        let root = resource.as_object_mut().ok_or_else(|| error("invalidSyntax", "The resource is not an object."))?;
        match &op.path {
            None => {
                let Some(Value::Object(values)) = &op.value else { unreachable_value()? };
                for (key, value) in values {
                    // A key may itself be a path ("name.givenName", a URN-qualified one).
                    let path = path_of(key, shape).map_err(|e| error("invalidPath", format!("\"{key}\": {}.", e.0)))?;
                    set(root, &path, value.clone(), op.op, shape, key)?;
                }
            }
            Some(path) => match op.op {
                Op::Remove => remove(root, path, op.value.as_ref(), shape)?,
                kind => set(root, path, op.value.clone().unwrap_or(Value::Null), kind, shape, &op.path_text)?,
            },
        }
    }
    Ok(())
}

fn unreachable_value<T>() -> Result<T, PatchError> {
    Err(error("invalidValue", "The operation's value must be an object of attributes."))
}

/// The object an attribute of `path` lives in (the root, or its schema
/// extension's object), created when `create`.
fn container<'r>(
    root: &'r mut Map<String, Value>,
    path: &PatchPath,
    shape: &dyn Shape,
    create: bool,
) -> Option<&'r mut Map<String, Value>> {
    match &path.attr.uri {
        Some(uri) if shape.is_extension(uri) => {
            let key = key_ci(root, uri).unwrap_or_else(|| uri.clone());
            if !root.contains_key(&key) {
                if !create {
                    return None;
                }
                root.insert(key.clone(), Value::Object(Map::new()));
            }
            root.get_mut(&key)?.as_object_mut()
        }
        _ => Some(root),
    }
}

/// The key as the object spells it, when it has it in any case.
fn key_ci(object: &Map<String, Value>, key: &str) -> Option<String> {
    object.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

fn merge(target: &mut Value, value: Value) {
    match (target, value) {
        (Value::Object(t), Value::Object(v)) => {
            for (k, v) in v {
                let key = key_ci(t, &k).unwrap_or(k);
                t.insert(key, v);
            }
        }
        (t, v) => *t = v,
    }
}

fn set(root: &mut Map<String, Value>, path: &PatchPath, value: Value, op: Op, shape: &dyn Shape, text: &str) -> Result<(), PatchError> {
    let multi = shape.multi_valued(&path.attr.attr);
    let object = container(root, path, shape, true).ok_or_else(|| error("invalidPath", format!("\"{text}\" names no attribute.")))?;
    let key = key_ci(object, &path.attr.attr).unwrap_or_else(|| path.attr.attr.clone());
    if let Some(filter) = &path.filter {
        if op == Op::Add {
            return Err(error("invalidPath", format!("\"{text}\": add does not take a filter; use replace.")));
        }
        let Some(Value::Array(items)) = object.get_mut(&key) else {
            return Err(error("noTarget", format!("\"{text}\" matches nothing.")));
        };
        let mut hit = false;
        for item in items.iter_mut().filter(|item| matches(filter, item)) {
            hit = true;
            match &path.sub_after_filter {
                Some(sub) => {
                    if let Value::Object(o) = item {
                        let k = key_ci(o, sub).unwrap_or_else(|| sub.clone());
                        o.insert(k, value.clone());
                    }
                }
                None => merge(item, value.clone()),
            }
        }
        return if hit { Ok(()) } else { Err(error("noTarget", format!("\"{text}\" matches nothing."))) };
    }
    match &path.attr.sub {
        Some(sub) => {
            let parent = object.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if !parent.is_object() {
                *parent = Value::Object(Map::new());
            }
            let parent = parent.as_object_mut().expect("made an object above");
            let k = key_ci(parent, sub).unwrap_or_else(|| sub.clone());
            parent.insert(k, value);
        }
        None if multi && op == Op::Add => {
            let new: Vec<Value> = match value {
                Value::Array(v) => v,
                v => vec![v],
            };
            let entry = object.entry(key).or_insert_with(|| Value::Array(vec![]));
            match entry {
                Value::Array(items) => {
                    for v in new {
                        if !items.contains(&v) {
                            items.push(v);
                        }
                    }
                }
                other => *other = Value::Array(new),
            }
        }
        None if multi => {
            let new = match value {
                Value::Array(v) => Value::Array(v),
                Value::Null => Value::Array(vec![]),
                v => Value::Array(vec![v]),
            };
            object.insert(key, new);
        }
        None => match (object.get_mut(&key), op) {
            (Some(existing @ Value::Object(_)), Op::Add) => merge(existing, value),
            _ => {
                object.insert(key, value);
            }
        },
    }
    Ok(())
}

fn remove(root: &mut Map<String, Value>, path: &PatchPath, value: Option<&Value>, shape: &dyn Shape) -> Result<(), PatchError> {
    let Some(object) = container(root, path, shape, false) else { return Ok(()) };
    let Some(key) = key_ci(object, &path.attr.attr) else { return Ok(()) };
    if let Some(filter) = &path.filter {
        let Some(Value::Array(items)) = object.get_mut(&key) else { return Ok(()) };
        match &path.sub_after_filter {
            Some(sub) => {
                for item in items.iter_mut().filter(|item| matches(filter, item)) {
                    if let Value::Object(o) = item {
                        if let Some(k) = key_ci(o, sub) {
                            o.remove(&k);
                        }
                    }
                }
            }
            None => items.retain(|item| !matches(filter, item)),
        }
        return Ok(());
    }
    match &path.attr.sub {
        Some(sub) => {
            if let Some(Value::Object(parent)) = object.get_mut(&key) {
                if let Some(k) = key_ci(parent, sub) {
                    parent.remove(&k);
                }
            }
        }
        None => match (value, object.get_mut(&key)) {
            // Not in the RFC, but what several clients send: remove these
            // values of a multi-valued attribute (`members`, `[{value}]`).
            (Some(Value::Array(gone)), Some(Value::Array(items))) => {
                let ids: Vec<String> = gone.iter().filter_map(value_of).collect();
                items.retain(|item| value_of(item).is_none_or(|v| !ids.iter().any(|g| g == &v)));
            }
            _ => {
                object.remove(&key);
            }
        },
    }
    Ok(())
}

/// An element's `value` sub-attribute.
fn value_of(item: &Value) -> Option<String> {
    item.as_object().and_then(|o| get_ci(o, "value")).and_then(Value::as_str).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    struct UserShape;
    impl Shape for UserShape {
        fn multi_valued(&self, attr: &str) -> bool {
            ["emails", "members", "groups"].iter().any(|a| a.eq_ignore_ascii_case(attr))
        }
        fn is_extension(&self, uri: &str) -> bool {
            uri.eq_ignore_ascii_case("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
        }
    }

    fn patch(resource: Value, ops: Value) -> Result<Value, PatchError> {
        let mut r = resource;
        let ops = parse_patch(&json!({"schemas": [PATCH_OP_SCHEMA], "Operations": ops}), &UserShape)?;
        apply(&mut r, &ops, &UserShape)?;
        Ok(r)
    }

    #[test]
    fn replace_with_and_without_paths_as_clients_send_them() {
        let user = json!({"userName": "a@x.example", "active": true, "name": {"givenName": "A"}, "emails": [{"value": "a@x.example", "type": "work", "primary": true}]});
        // Entra: capitalised op, a path per attribute, a filter on emails.
        let r = patch(
            user.clone(),
            json!([
                {"op": "Replace", "path": "active", "value": false},
                {"op": "replace", "path": "name.familyName", "value": "B"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.example"},
                {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Sales"},
            ]),
        )
        .unwrap();
        assert_eq!(r["active"], false);
        assert_eq!(r["name"], json!({"givenName": "A", "familyName": "B"}));
        assert_eq!(r["emails"][0]["value"], "b@x.example");
        assert_eq!(r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "Sales");
        // Okta: no path, an object of attributes (names in any case, dotted ones too).
        let r = patch(user.clone(), json!([{"op": "replace", "value": {"ACTIVE": false, "name.givenName": "Z", "displayName": "Z B"}}]))
            .unwrap();
        assert_eq!(
            (r["active"].clone(), r["name"]["givenName"].clone(), r["displayName"].clone()),
            (json!(false), json!("Z"), json!("Z B"))
        );
    }

    #[test]
    fn multi_valued_attributes_take_adds_and_filtered_removes() {
        let group = json!({"displayName": "G", "members": [{"value": "1"}, {"value": "2"}]});
        let r = patch(group.clone(), json!([{"op": "add", "path": "members", "value": [{"value": "3"}, {"value": "1"}]}])).unwrap();
        assert_eq!(r["members"], json!([{"value": "1"}, {"value": "2"}, {"value": "3"}]), "appended, no duplicates");
        let r = patch(group.clone(), json!([{"op": "remove", "path": "members[value eq \"2\"]"}])).unwrap();
        assert_eq!(r["members"], json!([{"value": "1"}]));
        let r = patch(group.clone(), json!([{"op": "remove", "path": "members", "value": [{"value": "1"}]}])).unwrap();
        assert_eq!(r["members"], json!([{"value": "2"}]));
        let r = patch(group.clone(), json!([{"op": "remove", "path": "members"}])).unwrap();
        assert!(r.get("members").is_none());
        let r = patch(group, json!([{"op": "replace", "path": "members", "value": [{"value": "9"}]}])).unwrap();
        assert_eq!(r["members"], json!([{"value": "9"}]));
    }

    #[test]
    fn bad_operations_are_refused_with_their_scim_type() {
        let user = json!({"emails": [{"value": "a@x.example", "type": "work"}]});
        let kind = |ops: Value| patch(user.clone(), ops).unwrap_err().scim_type;
        assert_eq!(kind(json!([{"op": "remove"}])), "noTarget");
        assert_eq!(kind(json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}])), "noTarget");
        assert_eq!(kind(json!([{"op": "move", "path": "x", "value": 1}])), "invalidSyntax");
        assert_eq!(kind(json!([{"op": "add", "path": "emails[type eq", "value": 1}])), "invalidPath");
        assert_eq!(kind(json!([{"op": "replace", "value": "not an object"}])), "invalidValue");
        assert_eq!(kind(json!([{"op": "add", "path": "title"}])), "invalidValue");
        assert_eq!(parse_patch(&json!({"Operations": []}), &UserShape).unwrap_err().scim_type, "invalidSyntax");
        // The extension's URN as a path names its object.
        let ext = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let r = patch(json!({}), json!([{"op": "add", "path": ext, "value": {"department": "Ops"}}])).unwrap();
        assert_eq!(r[ext]["department"], "Ops");
        let r = patch(r, json!([{"op": "remove", "path": ext}])).unwrap();
        assert!(r.get(ext).is_none());
    }
}
