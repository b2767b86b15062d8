//! What asking for an app looks like wherever it is asked (the consent
//! page's "Approval required", the refusal page's "Request access"): the
//! justification field, and the card that says a request was sent or is
//! still pending.

use crate::domain::fields::problem_in;
use crate::domain::requests::JUSTIFICATION_MAX_CHARS;
use crate::pages::admin::when;
use leptos::prelude::*;

/// The required "Why do you need this app?" box, with what was typed and
/// its problem (from the `errors` the form came back with).
#[component]
pub fn JustificationField(
    /// The id of the textarea (its hint and error ids derive from it).
    id: &'static str,
    typed: String,
    errors: String,
    /// Who reads it, for the hint: "Reviewers", "The app's reviewers".
    readers: &'static str,
) -> impl IntoView {
    let problem = problem_in(&errors, "justification");
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let described_by = if problem.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() };
    view! {
        <div class="field">
            <label for=id>"Why do you need this app?"</label>
            <p class="hint" id=hint_id>{format!("Required. {readers} see it. At most {JUSTIFICATION_MAX_CHARS} characters.")}</p>
            <textarea id=id name="justification" rows="4" required maxlength=JUSTIFICATION_MAX_CHARS.to_string()
                aria-describedby=described_by aria-invalid=problem.is_some().then_some("true")>{typed}</textarea>
            {problem.map(|p| view! { <p class="field-error" id=error_id>{p}</p> })}
        </div>
    }
}

/// "Request sent" (just now) or "You already asked" (still pending), with
/// when, and the way to My requests.
#[component]
pub fn AskedCard(
    /// What was asked for: "approval", "access".
    what: &'static str,
    asked_at: i64,
    /// `created` / `joined` when this page load follows the asking.
    sent: Option<String>,
    testid: &'static str,
) -> impl IntoView {
    let (heading, text) = match sent.as_deref() {
        Some("created") | Some("joined") => (
            "Request sent",
            format!(
                "You asked on {}. A reviewer will approve or deny it; you'll see the answer under the bell and on My requests.",
                when(asked_at)
            ),
        ),
        _ => (
            "You already asked",
            format!(
                "You asked for {what} on {}. Your request is waiting for review; asking again wouldn't send anything new.",
                when(asked_at)
            ),
        ),
    };
    view! {
        <section class="card" aria-labelledby="asked-heading" data-testid=testid>
            <h2 id="asked-heading">{heading}</h2>
            <p role="status">{text}</p>
            <p><a class="button button-primary" href="/my-requests">"See my requests"</a>" "<a class="button" href="/">"Back to My Apps"</a></p>
        </section>
    }
}
