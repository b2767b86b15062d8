//! SCIM filters (RFC 7644 §3.4.2.2) and attribute paths: parsed into a
//! tree the store turns into SQL and the patch code evaluates on values.
//!
//! Written here rather than taken from a crate: the two SCIM filter
//! parsers on crates.io each break a MUST of the RFC that real clients
//! rely on — `scim-filter` 0.2 gives `and` and `or` the same precedence
//! (`a and b or c` parses as `a and (b or c)`), and kanidm's `scim_proto`
//! refuses upper-case operators (`userName Eq "x"`) and URN-qualified
//! attributes. The grammar is small; the tests below follow the RFC's.

use serde_json::Value;

/// `[urn:...:]attr[.sub]`, names as written (compare them without case).
#[derive(Clone, Debug, PartialEq)]
pub struct AttrPath {
    /// The schema URN it is qualified with, if any.
    pub uri: Option<String>,
    pub attr: String,
    pub sub: Option<String>,
}

impl AttrPath {
    /// Does this path name `attr` (and `sub`), in any case?
    pub fn is(&self, attr: &str, sub: Option<&str>) -> bool {
        self.attr.eq_ignore_ascii_case(attr)
            && match (&self.sub, sub) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
    }

    /// The path as written.
    pub fn text(&self) -> String {
        let mut s = self.uri.as_ref().map(|u| format!("{u}:")).unwrap_or_default();
        s.push_str(&self.attr);
        if let Some(sub) = &self.sub {
            s.push('.');
            s.push_str(sub);
        }
        s
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Lt,
    Ge,
    Le,
}

impl CompareOp {
    fn parse(word: &str) -> Option<Self> {
        Some(match word.to_ascii_lowercase().as_str() {
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "lt" => CompareOp::Lt,
            "ge" => CompareOp::Ge,
            "le" => CompareOp::Le,
            _ => return None,
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, CompareOp, Value),
    /// `emails[type eq "work"]`: some element of the multi-valued
    /// attribute matches the inner filter (whose paths are sub-attributes).
    Has(AttrPath, Box<Filter>),
}

/// Why a filter or path could not be read: for the `invalidFilter` /
/// `invalidPath` error's detail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError(pub String);

/// Longest filter we read, and deepest nesting (a bound on work per request).
pub const MAX_FILTER_LEN: usize = 4096;
const MAX_DEPTH: usize = 32;

struct Parser<'a> {
    s: &'a str,
    i: usize,
    depth: usize,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '$'
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        &self.s[self.i..]
    }

    fn skip_spaces(&mut self) {
        while self.rest().starts_with([' ', '\t', '\n', '\r']) {
            self.i += 1;
        }
    }

    fn fail<T>(&self, what: &str) -> Result<T, ParseError> {
        let near: String = self.rest().chars().take(20).collect();
        Err(ParseError(if near.is_empty() {
            format!("{what} at the end of the filter")
        } else {
            format!("{what} at position {} (near \"{near}\")", self.i + 1)
        }))
    }

    /// A word (operator or keyword) without consuming it.
    fn peek_word(&self) -> &'a str {
        let rest = self.rest();
        let end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
        &rest[..end]
    }

    fn eat(&mut self, token: char) -> bool {
        if self.rest().starts_with(token) {
            self.i += token.len_utf8();
            true
        } else {
            false
        }
    }

    fn name(&mut self) -> Result<String, ParseError> {
        let rest = self.rest();
        let first_ok = rest.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$');
        if !first_ok {
            return self.fail("An attribute name was expected");
        }
        let end = rest.find(|c: char| !is_name_char(c)).unwrap_or(rest.len());
        self.i += end;
        Ok(rest[..end].to_string())
    }

    /// `[URI ":"] ATTRNAME *1subAttr`; a URI is `urn:` and anything up to
    /// the last `:` before the attribute name.
    fn attr_path(&mut self) -> Result<AttrPath, ParseError> {
        let rest = self.rest();
        let mut uri = None;
        if rest.len() >= 4 && rest[..4].eq_ignore_ascii_case("urn:") {
            let end = rest.find(|c: char| c.is_whitespace() || c == '[' || c == '(' || c == ')' || c == ']').unwrap_or(rest.len());
            let token = &rest[..end];
            // The attribute begins after the last ':' (sub-attributes use '.').
            let Some(colon) = token.rfind(':') else { return self.fail("A schema URN without an attribute") };
            uri = Some(token[..colon].to_string());
            self.i += colon + 1;
        }
        let attr = self.name()?;
        let sub = if self.eat('.') { Some(self.name()?) } else { None };
        Ok(AttrPath { uri, attr, sub })
    }

    fn value(&mut self) -> Result<Value, ParseError> {
        let rest = self.rest();
        if rest.starts_with('"') {
            let bytes = rest.as_bytes();
            let mut j = 1;
            while j < bytes.len() {
                match bytes[j] {
                    b'\\' => j += 2,
                    b'"' => break,
                    _ => j += 1,
                }
            }
            if j >= bytes.len() {
                return self.fail("A string that is not closed");
            }
            let text = &rest[..=j];
            let value = serde_json::from_str(text).or_else(|_| self.fail("A string that is not valid JSON"))?;
            self.i += j + 1;
            return Ok(value);
        }
        let end = rest.find(|c: char| c.is_whitespace() || c == ')' || c == ']').unwrap_or(rest.len());
        let token = &rest[..end];
        let value = match token.to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            "null" => Value::Null,
            _ => match serde_json::from_str::<Value>(token) {
                Ok(v @ Value::Number(_)) => v,
                _ => return self.fail("A value (a \"string\", a number, true, false or null) was expected"),
            },
        };
        self.i += end;
        Ok(value)
    }

    fn or_expr(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.and_expr()?;
        loop {
            let save = self.i;
            self.skip_spaces();
            if save != self.i && self.peek_word().eq_ignore_ascii_case("or") {
                self.i += 2;
                self.skip_spaces();
                let right = self.and_expr()?;
                left = Filter::Or(Box::new(left), Box::new(right));
            } else {
                self.i = save;
                return Ok(left);
            }
        }
    }

    fn and_expr(&mut self) -> Result<Filter, ParseError> {
        let mut left = self.unary()?;
        loop {
            let save = self.i;
            self.skip_spaces();
            if save != self.i && self.peek_word().eq_ignore_ascii_case("and") {
                self.i += 3;
                self.skip_spaces();
                let right = self.unary()?;
                left = Filter::And(Box::new(left), Box::new(right));
            } else {
                self.i = save;
                return Ok(left);
            }
        }
    }

    fn nested(&mut self, close: char) -> Result<Filter, ParseError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return self.fail("The filter nests too deeply");
        }
        self.skip_spaces();
        let inner = self.or_expr()?;
        self.skip_spaces();
        if !self.eat(close) {
            return self.fail(&format!("A closing '{close}' was expected"));
        }
        self.depth -= 1;
        Ok(inner)
    }

    fn unary(&mut self) -> Result<Filter, ParseError> {
        if self.peek_word().eq_ignore_ascii_case("not") {
            let save = self.i;
            self.i += 3;
            self.skip_spaces();
            if self.eat('(') {
                return Ok(Filter::Not(Box::new(self.nested(')')?)));
            }
            self.i = save; // an attribute called "not…"
        }
        if self.eat('(') {
            return self.nested(')');
        }
        let path = self.attr_path()?;
        if self.eat('[') {
            let inner = self.nested(']')?;
            return Ok(Filter::Has(path, Box::new(inner)));
        }
        let before = self.i;
        self.skip_spaces();
        if before == self.i {
            return self.fail("A space and an operator were expected");
        }
        let word = self.peek_word();
        if word.eq_ignore_ascii_case("pr") {
            self.i += 2;
            return Ok(Filter::Present(path));
        }
        let Some(op) = CompareOp::parse(word) else {
            return self.fail("An operator (eq, ne, co, sw, ew, gt, lt, ge, le, pr) was expected");
        };
        self.i += word.len();
        let before = self.i;
        self.skip_spaces();
        if before == self.i {
            return self.fail("A space and a value were expected");
        }
        let value = self.value()?;
        Ok(Filter::Compare(path, op, value))
    }
}

/// Parses a whole filter.
pub fn parse_filter(text: &str) -> Result<Filter, ParseError> {
    if text.len() > MAX_FILTER_LEN {
        return Err(ParseError(format!("A filter can be at most {MAX_FILTER_LEN} characters long")));
    }
    let mut p = Parser { s: text, i: 0, depth: 0 };
    p.skip_spaces();
    let filter = p.or_expr()?;
    p.skip_spaces();
    if !p.rest().is_empty() {
        return p.fail("Unexpected text");
    }
    Ok(filter)
}

/// A PATCH operation's path (RFC 7644 §3.5.2): `attrPath`, or
/// `attrPath[valFilter]` optionally followed by `.subAttr`.
#[derive(Clone, Debug, PartialEq)]
pub struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    /// The sub-attribute after a filter (`emails[type eq "work"].value`).
    pub sub_after_filter: Option<String>,
}

pub fn parse_path(text: &str) -> Result<PatchPath, ParseError> {
    let mut p = Parser { s: text.trim(), i: 0, depth: 0 };
    let attr = p.attr_path()?;
    let mut filter = None;
    let mut sub_after_filter = None;
    if p.eat('[') {
        if attr.sub.is_some() {
            return p.fail("A filter follows an attribute, not a sub-attribute");
        }
        filter = Some(p.nested(']')?);
        if p.eat('.') {
            sub_after_filter = Some(p.name()?);
        }
    }
    if !p.rest().is_empty() {
        return p.fail("Unexpected text in the path");
    }
    Ok(PatchPath { attr, filter, sub_after_filter })
}

/// Does a JSON value (an element of a multi-valued attribute, or a whole
/// resource) match the filter? Strings compare without case, as the
/// attributes this applies to (`emails`, `members`' `value`…) are caseExact
/// false or ids compared exactly by their callers.
pub fn matches(filter: &Filter, value: &Value) -> bool {
    match filter {
        Filter::And(a, b) => matches(a, value) && matches(b, value),
        Filter::Or(a, b) => matches(a, value) || matches(b, value),
        Filter::Not(a) => !matches(a, value),
        Filter::Present(path) => lookup(value, path).iter().any(|v| !v.is_null() && *v != &Value::String(String::new())),
        Filter::Has(path, inner) => {
            lookup(value, &AttrPath { uri: None, attr: path.attr.clone(), sub: None }).iter().any(|item| matches(inner, item))
        }
        Filter::Compare(path, op, expected) => {
            let found = lookup(value, path);
            if found.is_empty() {
                *op == CompareOp::Ne && !expected.is_null()
            } else {
                found.iter().any(|v| compare(v, *op, expected))
            }
        }
    }
}

/// A key of an object, in any case.
pub fn get_ci<'v>(object: &'v serde_json::Map<String, Value>, key: &str) -> Option<&'v Value> {
    object.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v)
}

/// The values a path names in a value: a sub-attribute of a multi-valued
/// attribute names one value per element.
fn lookup<'v>(value: &'v Value, path: &AttrPath) -> Vec<&'v Value> {
    let Some(top) = value.as_object().and_then(|o| get_ci(o, &path.attr)) else { return vec![] };
    match (&path.sub, top) {
        (None, Value::Array(items)) => items.iter().collect(),
        (None, v) => vec![v],
        (Some(sub), Value::Object(o)) => get_ci(o, sub).into_iter().collect(),
        (Some(sub), Value::Array(items)) => items.iter().filter_map(|i| i.as_object().and_then(|o| get_ci(o, sub))).collect(),
        _ => vec![],
    }
}

fn compare(found: &Value, op: CompareOp, expected: &Value) -> bool {
    use CompareOp::*;
    match (found, expected) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = (a.to_lowercase(), b.to_lowercase());
            match op {
                Eq => a == b,
                Ne => a != b,
                Co => a.contains(&b),
                Sw => a.starts_with(&b),
                Ew => a.ends_with(&b),
                Gt => a > b,
                Lt => a < b,
                Ge => a >= b,
                Le => a <= b,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            Eq => a == b,
            Ne => a != b,
            _ => false,
        },
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64().unwrap_or(f64::NAN), b.as_f64().unwrap_or(f64::NAN));
            match op {
                Eq => a == b,
                Ne => a != b,
                Gt => a > b,
                Lt => a < b,
                Ge => a >= b,
                Le => a <= b,
                _ => false,
            }
        }
        (found, Value::Null) => match op {
            Eq => found.is_null(),
            Ne => !found.is_null(),
            _ => false,
        },
        _ => op == Ne,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(attr: &str) -> AttrPath {
        AttrPath { uri: None, attr: attr.into(), sub: None }
    }
    fn eq(attr: &str, v: Value) -> Filter {
        Filter::Compare(path(attr), CompareOp::Eq, v)
    }
    fn and(a: Filter, b: Filter) -> Filter {
        Filter::And(Box::new(a), Box::new(b))
    }
    fn or(a: Filter, b: Filter) -> Filter {
        Filter::Or(Box::new(a), Box::new(b))
    }

    #[test]
    fn and_binds_tighter_than_or_either_way_round() {
        let (a, b, c) = (eq("a", json!(1)), eq("b", json!(2)), eq("c", json!(3)));
        assert_eq!(parse_filter("a eq 1 and b eq 2 or c eq 3").unwrap(), or(and(a.clone(), b.clone()), c.clone()));
        assert_eq!(parse_filter("a eq 1 or b eq 2 and c eq 3").unwrap(), or(a.clone(), and(b.clone(), c.clone())));
        assert_eq!(parse_filter("(a eq 1 or b eq 2) and c eq 3").unwrap(), and(or(a, b), c));
    }

    #[test]
    fn operators_and_keywords_are_case_insensitive() {
        assert_eq!(parse_filter("userName Eq \"bjensen\"").unwrap(), eq("userName", json!("bjensen")));
        let f = parse_filter("userName EQ \"a\" AND title PR").unwrap();
        assert_eq!(f, and(eq("userName", json!("a")), Filter::Present(path("title"))));
        assert!(matches!(parse_filter("NOT (title pr)").unwrap(), Filter::Not(_)));
    }

    #[test]
    fn the_rfc_examples_parse() {
        for f in [
            r#"userName eq "bjensen""#,
            r#"name.familyName co "O'Malley""#,
            r#"userName sw "J""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#,
            r#"title pr"#,
            r#"meta.lastModified gt "2011-05-13T04:42:34Z""#,
            r#"title pr and userType eq "Employee""#,
            r#"title pr or userType eq "Intern""#,
            r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
            r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
            r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
            r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        ] {
            assert!(parse_filter(f).is_ok(), "{f}: {:?}", parse_filter(f));
        }
        let f = parse_filter(r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#).unwrap();
        let Filter::Compare(p, ..) = f else { panic!() };
        assert_eq!(p.uri.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(p.attr, "department");
    }

    #[test]
    fn values_are_json_literals() {
        assert_eq!(parse_filter(r#"displayName eq "A \"q\" B""#).unwrap(), eq("displayName", json!("A \"q\" B")));
        assert_eq!(parse_filter("active eq true").unwrap(), eq("active", json!(true)));
        assert_eq!(parse_filter("x eq 1.5").unwrap(), eq("x", json!(1.5)));
        assert_eq!(parse_filter("title eq null").unwrap(), eq("title", Value::Null));
    }

    #[test]
    fn what_is_not_a_filter_says_where() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName equals \"x\"",
            "userName eq \"x",
            "userName eq \"x\" extra",
            "(a pr",
            "a pr and",
            "a eq bare",
        ] {
            let e = parse_filter(bad).unwrap_err();
            assert!(!e.0.is_empty(), "{bad}");
        }
        let deep = format!("{}a pr{}", "(".repeat(100), ")".repeat(100));
        assert!(parse_filter(&deep).unwrap_err().0.contains("too deeply"));
        assert!(parse_filter(&"a".repeat(5000)).is_err());
    }

    #[test]
    fn patch_paths() {
        let p = parse_path(r#"emails[type eq "work"].value"#).unwrap();
        assert!(p.attr.is("emails", None) && p.filter.is_some());
        assert_eq!(p.sub_after_filter.as_deref(), Some("value"));
        let p = parse_path(r#"members[value eq "2819c223"]"#).unwrap();
        assert!(p.attr.is("members", None));
        let p = parse_path("name.givenName").unwrap();
        assert!(p.attr.is("name", Some("givenname")));
        let p = parse_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department").unwrap();
        assert!(p.attr.is("department", None) && p.attr.uri.is_some());
        assert!(parse_path("name.givenName[x pr]").is_err());
        assert!(parse_path("emails[type eq \"work\"] junk").is_err());
    }

    #[test]
    fn filters_match_values() {
        let user = json!({"userName": "Alex", "emails": [{"value": "alex@x.example", "type": "work"}], "active": true, "name": {"givenName": "Alex"}});
        for (f, want) in [
            (r#"userName eq "alex""#, true),
            (r#"emails[type eq "work" and value co "@x."]"#, true),
            (r#"emails[type eq "home"]"#, false),
            (r#"emails.value ew ".example""#, true),
            (r#"name.givenName sw "al" and active eq true"#, true),
            (r#"not (active eq true)"#, false),
            (r#"title pr"#, false),
            (r#"title ne "x""#, true),
        ] {
            assert_eq!(matches(&parse_filter(f).unwrap(), &user), want, "{f}");
        }
    }
}
