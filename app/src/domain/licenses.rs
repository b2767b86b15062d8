//! What an admin may write about a license (a product with seats).

use super::fields::{plain_text, FieldProblem};
use serde::{Deserialize, Serialize};

pub const MAX_LICENSE_NAME: usize = 120;
pub const MAX_SKU: usize = 60;
/// More seats than any organisation has people.
pub const MAX_SEATS: i64 = 10_000_000;

/// A license as an admin typed it (PATCH leaves out what it keeps).
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseInput {
    pub name: Option<String>,
    pub sku: Option<String>,
    pub seats: Option<i64>,
}

/// A license's fields, every one valid.
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenseFields {
    pub name: String,
    /// The product code, e.g. `OFFICE_E3`: upper-case letters, digits, `_`, `-`, `.`.
    pub sku: String,
    pub seats: i64,
}

/// Checks a new license (`current` None) or an edit; every problem at once.
pub fn validate_license(current: Option<&LicenseFields>, input: &LicenseInput) -> Result<LicenseFields, Vec<FieldProblem>> {
    let mut problems = Vec::new();
    let base = current.cloned().unwrap_or_default();
    let creating = current.is_none();
    let name = match (&input.name, creating) {
        (Some(n), _) => plain_text("name", n, MAX_LICENSE_NAME, true, &mut problems),
        (None, true) => plain_text("name", "", MAX_LICENSE_NAME, true, &mut problems),
        (None, false) => base.name.clone(),
    };
    let sku = if input.sku.is_some() || creating {
        let typed = input.sku.clone().unwrap_or_default().to_uppercase();
        let sku = plain_text("sku", &typed, MAX_SKU, true, &mut problems);
        let allowed = |c: char| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '-' | '.');
        if !sku.is_empty() && !sku.chars().all(allowed) {
            problems.push(("sku", "malformed_sku"));
        }
        sku
    } else {
        base.sku.clone()
    };
    let seats = match (input.seats, creating) {
        (Some(n), _) if !(0..=MAX_SEATS).contains(&n) => {
            problems.push(("seats", "out_of_range"));
            0
        }
        (Some(n), _) => n,
        (None, true) => {
            problems.push(("seats", "missing"));
            0
        }
        (None, false) => base.seats,
    };
    if problems.is_empty() {
        Ok(LicenseFields { name, sku, seats })
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fields::field_message;

    #[test]
    fn a_license_needs_a_name_a_product_code_and_seats() {
        let input = LicenseInput { name: Some(" Office ".into()), sku: Some("office_e3".into()), seats: Some(40) };
        assert_eq!(validate_license(None, &input).unwrap(), LicenseFields { name: "Office".into(), sku: "OFFICE_E3".into(), seats: 40 });
        let problems = validate_license(None, &LicenseInput::default()).unwrap_err();
        assert_eq!(problems, [("name", "missing"), ("sku", "missing"), ("seats", "missing")]);
        let bad = LicenseInput { name: Some("X".into()), sku: Some("has space".into()), seats: Some(-1) };
        let problems = validate_license(None, &bad).unwrap_err();
        assert_eq!(problems, [("sku", "malformed_sku"), ("seats", "out_of_range")]);
        for (field, code) in problems {
            assert!(field_message(field, code).is_some(), "{field}:{code}");
        }
    }

    #[test]
    fn an_edit_keeps_what_it_leaves_out() {
        let current = LicenseFields { name: "Office".into(), sku: "OFFICE_E3".into(), seats: 40 };
        let edited = validate_license(Some(&current), &LicenseInput { seats: Some(10), ..Default::default() }).unwrap();
        assert_eq!(edited, LicenseFields { seats: 10, ..current });
    }
}
