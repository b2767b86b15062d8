//! Field problems: the codes validation reports per field, the sentences
//! pages and the API show for them, and which field a database constraint
//! that refused a change stands for. Nothing a person typed is echoed in a
//! message.

/// One field's problem: (field, code).
pub type FieldProblem = (&'static str, &'static str);

/// A text field as stored: trimmed; `missing` when required and empty,
/// `too_long` past `max` characters, no control characters (line breaks
/// included).
pub fn plain_text(field: &'static str, value: &str, max: usize, required: bool, problems: &mut Vec<FieldProblem>) -> String {
    let value = value.trim();
    if required && value.is_empty() {
        problems.push((field, "missing"));
    } else if value.chars().count() > max {
        problems.push((field, "too_long"));
    } else if value.chars().any(char::is_control) {
        problems.push((field, "control_characters"));
    }
    value.to_string()
}

/// The field and code of a database constraint that refused a change: the
/// one place where constraint names meet field names. PostgreSQL names the
/// constraint; SQLite names the table and columns of a unique one.
pub fn field_of_constraint(constraint: &str) -> Option<FieldProblem> {
    Some(match constraint {
        "users_org_upn_key" | "UNIQUE constraint failed: users.org_id, users.upn_normalized" => ("upn", "taken"),
        "user_groups_org_name_key" | "UNIQUE constraint failed: user_groups.org_id, user_groups.name_normalized" => ("name", "taken"),
        "licenses_org_sku_key" | "UNIQUE constraint failed: licenses.org_id, licenses.sku" => ("sku", "taken"),
        "apis_org_identifier_key" | "UNIQUE constraint failed: apis.org_id, apis.identifier" => ("identifier", "taken"),
        "api_tokens_org_live_name_key" | "UNIQUE constraint failed: api_tokens.org_id, api_tokens.name_normalized" => {
            ("name", "token_taken")
        }
        _ => return None,
    })
}

/// The sentence for a field's problem code.
/// The sentence for `field` among the `field:code` pairs a form was sent
/// back with (comma-separated, as `http::admin::back_to_form` writes them).
pub fn problem_in(codes: &str, field: &str) -> Option<&'static str> {
    codes.split(',').filter_map(|p| p.split_once(':')).find(|(f, _)| *f == field).and_then(|(f, c)| field_message(f, c))
}

pub fn field_message(field: &str, code: &str) -> Option<&'static str> {
    Some(match (field, code) {
        ("upn", "missing") => "Enter a sign-in name, for example alex@contoso.example.",
        ("user_consent_policy", "unknown_value") => "Choose one of the three user-consent settings.",
        ("request_expiry_days", "out_of_range") => "Requests can expire after 1 to 365 days.",
        ("workflow_enabled", "needs_reviewer") => "Add at least one reviewer before switching the approval workflow on.",
        ("settings", "nothing_to_change") => "Send at least one setting to change.",
        ("justification", "missing") => "Say why you need this app, so a reviewer can decide.",
        ("justification", "too_long") => "A justification can be at most 1,000 characters long.",
        ("justification" | "reason", "control_characters") => "Remove the invisible control characters (line breaks are fine).",
        ("reason", "missing") => "Give a reason: the requester sees it.",
        ("reason", "too_long") => "A reason can be at most 500 characters long.",
        ("decision", "unknown_value") => "Choose approve, deny or block.",
        ("decision", "block_consent_only") => "Only consent requests can be blocked; deny this request instead.",
        ("identifier", "missing") => "Enter the API's identifier, for example https://reports.northwind.example.",
        ("identifier", "reserved") => "openid is OpenID Connect's own: choose another identifier.",
        ("identifier", "malformed_identifier") => {
            "An identifier is an https:// address (no user name, password or #) or a urn:, for example urn:northwind:reports."
        }
        ("identifier", "taken") => "Your organisation already has an API with this identifier.",
        ("value", "missing") => "Enter the scope apps ask for, for example Reports.Read.",
        ("value", "malformed_scope") => "A scope has letters, digits and punctuation only: no spaces, quotes or backslashes.",
        ("value", "reserved") => "This is a standard OpenID Connect scope: it already exists.",
        ("value", "taken") => "Another permission of your organisation already has this scope.",
        ("value", "too_long") => "A scope can be at most 100 characters long.",
        ("display_name", "missing_label") => "Name the permission in plain words, for example Read your reports.",
        ("description", "missing_words") => "Say in plain words what it lets an app do.",
        ("classification", "missing") => "Choose low, medium or high impact, or not classified.",
        ("classification", "unknown_value") => "Choose low, medium or high impact, or not classified.",
        ("upn", "malformed") => "A sign-in name looks like name@domain, for example alex@contoso.example.",
        ("upn", "too_long") => "A sign-in name can be at most 254 characters long.",
        ("upn", "taken") => "Someone in your organisation already has this sign-in name.",
        ("display_name", "missing") => "Enter the person's name.",
        ("email", "malformed") => "An e-mail address looks like name@example.com.",
        ("role", "unknown") => "Choose Employee, App admin or Privileged admin.",
        ("role", "missing") => "Choose a role.",
        ("role", "token_role") => "An API token acts as an App admin or as a Privileged admin.",
        ("expires_in_days", "out_of_range") => "A token can last from 1 day to 3,650 days (ten years), or never expire.",
        ("role", "own_role") => "You can't change your own role. Ask another privileged admin.",
        ("mfa_state", "unknown") => "Choose Off, On or Enforced.",
        ("auth_phone", "malformed") => "A phone number has 6 to 20 digits, for example +44 20 7946 0958.",
        ("auth_email", "malformed") => "An e-mail address looks like name@example.com.",
        ("name", "missing") => "Enter a name.",
        ("name", "taken") => "Your organisation already has a group with this name.",
        ("name", "token_taken") => "Another active API token has this name. Choose another, or revoke that one first.",
        ("name", "too_long") => "A name can be at most 120 characters long.",
        ("description", "too_long") => "A description can be at most 1,000 characters long.",
        ("category", "too_long") => "A category can be at most 60 characters long.",
        ("publisher_name", "too_long") => "A publisher's name can be at most 120 characters long.",
        ("sign_on_mode", "unknown") => "Choose Linked or OpenID Connect.",
        ("launch_url", "missing") => "Enter the address a launch opens, for example https://payroll.example/.",
        ("launch_url", "not_web") => "The address must start with https:// (or http://).",
        ("initiate_login_uri", "not_https") => {
            "The login initiation address must start with https:// (http:// only on localhost or 127.0.0.1)."
        }
        ("redirect_uris", "missing") => "An OpenID Connect app needs at least one redirect URI.",
        ("redirect_uris", "not_https") => {
            "A redirect URI must start with https:// (http:// only on localhost or 127.0.0.1, for apps on the person's own device)."
        }
        ("redirect_uris", "fragment") => "A redirect URI can't contain a # fragment.",
        ("redirect_uris", "too_many") => "An app can register at most 20 redirect URIs.",
        ("post_logout_redirect_uris", "not_https") => {
            "A sign-out return address must start with https:// (http:// only on localhost or 127.0.0.1)."
        }
        ("post_logout_redirect_uris", "fragment") => "A sign-out return address can't contain a # fragment.",
        ("post_logout_redirect_uris", "too_many") => "An app can register at most 20 sign-out return addresses.",
        ("id_token_signed_response_alg", "unknown") => "Choose RS256 or EdDSA.",
        ("permission_ids", "too_many") => "An app can request at most 100 permissions.",
        ("permission_ids", "not_requested") => "Grant only permissions this app asks for.",
        ("permission_ids", "missing") => "Choose 1 to 100 of the permissions this app asks for, or leave them out to grant all.",
        ("permission_ids", "unknown") => "Choose permissions from your organisation's catalogue.",
        ("required_license_id", "unknown") => "Choose one of your organisation's licenses, or none.",
        ("correlation_id" | "app_id" | "reason_code" | "action" | "target_id", "malformed_filter") => {
            "Use letters, digits and - _ . : @ only, at most 100 characters."
        }
        ("user" | "actor", "too_long") => "Search for at most 200 characters.",
        ("user" | "actor", "control_characters") => "Search text can't contain line breaks or control characters.",
        ("outcome", "unknown") => "Choose success, failure or interrupted.",
        ("kind", "unknown") => "Choose portal, launch, token or userinfo.",
        ("from" | "to", "malformed_time") => "Enter a time as YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC).",
        ("to", "before_from") => "The end of the range must come after its start.",
        ("sku", "missing") => "Enter the product code, for example OFFICE_E3.",
        ("sku", "malformed_sku") => "A product code has capital letters, digits, _, - and . only, for example OFFICE_E3.",
        ("sku", "taken") => "Your organisation already has a license with this product code.",
        ("sku", "too_long") => "A product code can be at most 60 characters long.",
        ("seats", "missing") => "Enter how many seats you have (0 or more).",
        ("seats", "out_of_range") => "Seats go from 0 to 10,000,000.",
        ("logo", "missing") => "Choose an image file to upload.",
        ("logo", "too_large") => "A logo can be at most 256 KiB.",
        ("logo", "unsupported_type") => "A logo must be a PNG, JPEG, GIF or WebP image (SVG is not accepted).",
        ("logo", "unreadable") => "This image could not be read. Export it again as PNG and retry.",
        ("logo", "too_big") => "A logo can be at most 1024×1024 pixels.",
        ("logo", "too_small") => "A logo must be at least 16×16 pixels.",
        (_, "malformed") => "This is not a complete web address, for example https://app.example/.",
        (_, "credentials") => "Leave the user name and password out of the address.",
        ("launch_url" | "initiate_login_uri" | "redirect_uris" | "post_logout_redirect_uris", "too_long") => {
            "An address can be at most 2,000 characters long."
        }
        (_, "too_long") => "This is too long (at most 256 characters).",
        (_, "control_characters") => "Remove the line breaks and other invisible characters.",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forms_problems_are_found_by_field() {
        let codes = "name:missing,request_expiry_days:out_of_range";
        assert_eq!(problem_in(codes, "request_expiry_days"), Some("Requests can expire after 1 to 365 days."));
        assert_eq!(problem_in(codes, "name"), Some("Enter a name."));
        assert_eq!(problem_in(codes, "sku"), None);
        assert_eq!(problem_in("", "name"), None);
    }

    #[test]
    fn unique_constraints_are_their_fields() {
        assert_eq!(field_of_constraint("users_org_upn_key"), Some(("upn", "taken")));
        assert_eq!(field_of_constraint("UNIQUE constraint failed: users.org_id, users.upn_normalized"), Some(("upn", "taken")));
        assert_eq!(field_of_constraint("user_groups_org_name_key"), Some(("name", "taken")));
        assert_eq!(
            field_of_constraint("UNIQUE constraint failed: user_groups.org_id, user_groups.name_normalized"),
            Some(("name", "taken"))
        );
        assert!(field_message("upn", "taken").is_some());
        assert!(field_message("name", "taken").is_some());
        assert_eq!(field_of_constraint("something_else"), None);
    }

    #[test]
    fn plain_text_is_trimmed_and_checked() {
        let mut problems = Vec::new();
        assert_eq!(plain_text("name", "  Finance ", 10, true, &mut problems), "Finance");
        plain_text("name", " ", 10, true, &mut problems);
        plain_text("description", "", 10, false, &mut problems);
        plain_text("description", "x".repeat(11).as_str(), 10, false, &mut problems);
        plain_text("name", "a\tb", 10, true, &mut problems);
        assert_eq!(problems, [("name", "missing"), ("description", "too_long"), ("name", "control_characters")]);
    }
}
