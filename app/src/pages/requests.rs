//! Requests and notifications: My requests (`/my-requests`, each request's
//! state and history), the reviewers' queue (`/reviews`, grouped by app,
//! with approve / deny / block forms and the blocked apps), and the
//! notifications page the bell opens (`/notifications`). The pages show;
//! the server decides every post (`server/src/http/requests.rs`).

use super::admin::when;
use crate::components::layout::{token_of, Alert, CsrfField, Loading, SignedInHeader};
use crate::domain::fields::problem_in;
use crate::domain::requests::{RequestKind, RequestStatus, REASON_MAX_CHARS};
use crate::models::requests::{MyRequest, Notifications, ReviewApp, ReviewQueue, ReviewRequest};
use crate::server_fns::requests::{load_my_requests, load_notifications, load_review_queue};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn status_class(status: RequestStatus) -> &'static str {
    match status {
        RequestStatus::Pending => "status status-warn",
        RequestStatus::Approved => "status status-ok",
        RequestStatus::Denied | RequestStatus::Blocked => "status status-bad",
        RequestStatus::Expired => "status",
    }
}

fn kind_text(kind: RequestKind) -> &'static str {
    match kind {
        RequestKind::Consent => "Approval of its permissions",
        RequestKind::Access => "Access to the app",
    }
}

/// One line of a request's history, in words.
fn history_line(event: &str, by: &str) -> String {
    match event {
        "asked" => format!("{by} asked"),
        "approved" => format!("Approved by {by}"),
        "denied" => format!("Denied by {by}"),
        "blocked" => format!("Denied and blocked by {by}"),
        "expired" => "Expired: nobody reviewed it in time".to_string(),
        other => other.to_string(),
    }
}

#[component]
pub fn MyRequestsPage() -> impl IntoView {
    let requests = Resource::new(|| (), |_| load_my_requests());
    view! {
        <SignedInHeader/>
        <Title text="My requests"/>
        <main id="main" class="page page-narrow">
            <p><a href="/">"← My Apps"</a></p>
            <h1>"My requests"</h1>
            <p class="muted">"What you asked your organisation for, and what became of it."</p>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match requests.await {
                        Ok(list) if list.is_empty() => view! {
                            <p>"You haven't asked for anything yet. When an app needs an admin's approval, you can ask for it from the app's page."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="request-list">
                                {list.into_iter().map(|r| view! { <li><MyRequestCard request=r/></li> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn MyRequestCard(request: MyRequest) -> impl IntoView {
    let heading_id = format!("request-{}", request.id);
    let labelled_by = heading_id.clone();
    let pending = request.status == RequestStatus::Pending;
    view! {
        <section class="card" aria-labelledby=labelled_by data-testid="my-request">
            <div class="card-heading-row">
                <h2 id=heading_id>{request.app_name.clone()}</h2>
                <span class=status_class(request.status)>{request.status.label()}</span>
            </div>
            <p class="muted">{kind_text(request.kind)}</p>
            <ol class="history">
                {request.history.iter().map(|h| view! {
                    <li>
                        <span class="history-what">{history_line(&h.event, &h.by)}</span>
                        " "<time class="muted">{when(h.at)}</time>
                        {h.text.clone().map(|t| view! { <blockquote class="history-text">{t}</blockquote> })}
                    </li>
                }).collect_view()}
            </ol>
            {pending.then(|| view! { <p class="muted">{format!("Expires on {} if nobody reviews it.", when(request.expires_at))}</p> })}
            {request.outcome.clone().map(|o| view! { <p>{o}</p> })}
        </section>
    }
}

const STATUSES: [(&str, &str); 5] =
    [("pending", "Pending"), ("approved", "Approved"), ("denied", "Denied"), ("blocked", "Blocked"), ("expired", "Expired")];

fn review_notice(code: &str) -> Option<&'static str> {
    Some(match code {
        "approved" => "Approved. The requesters are told, and it holds from their next launch.",
        "denied" => "Denied. The requesters are told, with your reason; they can ask again.",
        "blocked" => "Blocked. Nobody can request or consent to this app until it is unblocked; the requesters are told.",
        "unblocked" => "Unblocked. People can request and consent to the app again.",
        _ => return None,
    })
}

#[component]
pub fn ReviewsPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_default();
    let queue = Resource::new(status, load_review_queue);
    let auth = Resource::new(|| (), |_| auth_state());
    let notice = move || query.read().get("done").and_then(|c| review_notice(&c));
    let form = move || ReturnedForm {
        request: query.read().get("request").unwrap_or_default(),
        reason: query.read().get("reason").unwrap_or_default(),
        errors: query.read().get("errors").unwrap_or_default(),
    };
    view! {
        <SignedInHeader/>
        <Title text="Requests to review"/>
        <main id="main" class="page">
            <h1>"Requests to review"</h1>
            <p class="muted">"People ask here for apps that need an admin's approval of their permissions (approving grants them for everyone in your organisation), and for access to apps they don't have."</p>
            <nav class="chips" aria-label="Requests by state">
                {move || {
                    let current = if status().is_empty() { "pending".to_string() } else { status() };
                    STATUSES.iter().map(|(value, label)| {
                        let href = if *value == "pending" { "/reviews".to_string() } else { format!("/reviews?status={value}") };
                        view! { <a class="chip" href=href aria-current=(current == *value).then_some("page")>{*label}</a> }
                    }).collect_view()
                }}
            </nav>
            {move || notice().map(|n| view! { <Alert message=n/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    match queue.await {
                        Ok(q) if !q.reviews_consent && !q.reviews_access => view! {
                            <Alert message="Only your organisation's reviewers and admins review requests."/>
                        }.into_any(),
                        Ok(q) => view! { <Queue queue=q token form=form()/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

/// A review form sent back with a problem: which request, what they typed.
#[derive(Clone, Debug, Default)]
struct ReturnedForm {
    request: String,
    reason: String,
    errors: String,
}

#[component]
fn Queue(queue: ReviewQueue, token: String, form: ReturnedForm) -> impl IntoView {
    let empty = queue.apps.is_empty();
    let blocked = queue.blocked_apps.clone();
    let unblock_token = token.clone();
    view! {
        {empty.then(|| view! { <p data-testid="queue-empty">"Nothing here."</p> })}
        {queue.apps.into_iter().map(|app| view! { <ReviewAppCard app token=token.clone() form=form.clone()/> }).collect_view()}
        {(!blocked.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="blocked-heading">
                <h2 id="blocked-heading">"Blocked apps"</h2>
                <ul class="plain-list">
                    {blocked.into_iter().map(|b| view! {
                        <li class="row-with-action">
                            <span><strong>{b.app_name.clone()}</strong>" "<span class="muted">{format!("blocked on {}: {}", when(b.blocked_at), b.reason)}</span></span>
                            <form method="post" action=format!("/reviews/blocked/{}/unblock", b.app_id) class="inline-form">
                                <CsrfField token=unblock_token.clone()/>
                                <button type="submit" class="button">{format!("Unblock {}", b.app_name)}</button>
                            </form>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        })}
    }
}

#[component]
fn ReviewAppCard(app: ReviewApp, token: String, form: ReturnedForm) -> impl IntoView {
    let heading_id = format!("app-{}", app.app_id);
    let labelled_by = heading_id.clone();
    let mut publisher = app.publisher.clone();
    publisher.push_str(if app.publisher_verified { " · Verified publisher" } else { " · Publisher not verified" });
    if app.registered_in_org {
        publisher.push_str(" · Registered by your organisation");
    }
    let app_name = app.app_name.clone();
    view! {
        <section class="card review-app" aria-labelledby=labelled_by data-testid="review-app">
            <h2 id=heading_id>{app.app_name.clone()}</h2>
            <p class="muted">{publisher}</p>
            {app.blocked_reason.clone().map(|r| view! { <p class="muted">{format!("Blocked: {r}")}</p> })}
            {app.license.clone().map(|l| view! {
                <p class="muted">{format!("Needs the license {}: {} of {} seats in use{}", l.name, l.in_use, l.seats, if l.in_use >= l.seats { " (none free)" } else { "" })}</p>
            })}
            {app.requests.into_iter().map(|r| view! { <ReviewRequestView request=r app_name=app_name.clone() token=token.clone() form=form.clone()/> }).collect_view()}
        </section>
    }
}

#[component]
fn ReviewRequestView(request: ReviewRequest, app_name: String, token: String, form: ReturnedForm) -> impl IntoView {
    let anchor = format!("request-{}", request.id);
    let returned = form.request == request.id;
    let problem = if returned { problem_in(&form.errors, "reason") } else { None };
    let reason_id = format!("reason-{}", request.id);
    let error_id = format!("{reason_id}-error");
    let hint_id = format!("{reason_id}-hint");
    let described = if problem.is_some() { format!("{hint_id} {error_id}") } else { hint_id.clone() };
    let pending = request.status == RequestStatus::Pending;
    let count = request.requesters.len();
    let first_requester = request.requesters.first().map(|q| q.display_name.clone()).unwrap_or_default();
    view! {
        <div class="review-request" id=anchor>
            <p class="muted">{format!("Asked {} · expires {} · {} requester{}", when(request.created_at), when(request.expires_at), count, if count == 1 { "" } else { "s" })}</p>
            {match request.kind {
                RequestKind::Consent => view! {
                    <h3>"Permissions it asks for"</h3>
                    <ul class="permission-list">
                        {request.permissions.iter().map(|p| {
                            let impact = p.classification.map_or("Not classified", |c| c.label());
                            view! {
                                <li>
                                    <span class="permission-name">{p.display_name.clone()}</span>
                                    <span class="permission-description">{p.description.clone()}</span>
                                    <span class="permission-meta">{format!("{} · {} · {}{}", p.api_name, p.value, impact, if p.admin_consent_required { " · Admin consent required" } else { "" })}</span>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                RequestKind::Access => view! {
                    <h3>"Access to the app"</h3>
                    <p>{match request.reason_code.as_deref() {
                        Some("license_missing") => "It is assigned to them, but they have no license for it.",
                        _ => "It isn't assigned to them or to a group they're in.",
                    }}</p>
                }.into_any(),
            }}
            <h3>"Who asks, and why"</h3>
            <ul class="requester-list">
                {request.requesters.iter().map(|q| view! {
                    <li>
                        <strong>{q.display_name.clone()}</strong>" "<span class="muted">{format!("{} · {}", q.upn, when(q.requested_at))}</span>
                        <blockquote class="history-text">{q.justification.clone()}</blockquote>
                    </li>
                }).collect_view()}
            </ul>
            {(!pending).then(|| view! {
                <p>
                    <span class=status_class(request.status)>{request.status.label()}</span>
                    {request.decided_at.map(|at| format!(" on {}", when(at)))}
                    {request.decided_by.clone().filter(|b| !b.is_empty()).map(|b| format!(" by {b}"))}
                    {request.decision_reason.clone().map(|r| format!(": {r}"))}
                </p>
                {request.outcome.clone().map(|o| view! { <p class="muted">{o}</p> })}
            })}
            {pending.then(|| view! {
                <form method="post" action=format!("/reviews/{}", request.id) class="review-form">
                    <CsrfField token=token/>
                    <div class="field">
                        <label for=reason_id.clone()>"Reason"</label>
                        <p class="hint" id=hint_id>{format!("Required to deny or block; the requesters see it. At most {REASON_MAX_CHARS} characters.")}</p>
                        <textarea id=reason_id name="reason" rows="2" maxlength=REASON_MAX_CHARS.to_string()
                            aria-describedby=described aria-invalid=problem.map(|_| "true")>{if returned { form.reason.clone() } else { String::new() }}</textarea>
                        {problem.map(|p| view! { <p class="field-error" id=error_id>{p}</p> })}
                    </div>
                    <div class="actions">
                        {match request.kind {
                            RequestKind::Consent => view! {
                                <button type="submit" name="decision" value="approve" class="button button-primary">{format!("Approve {app_name} for everyone")}</button>
                                <button type="submit" name="decision" value="deny" class="button">"Deny"</button>
                                <button type="submit" name="decision" value="block" class="button button-danger">"Deny and block"</button>
                            }.into_any(),
                            RequestKind::Access => view! {
                                <button type="submit" name="decision" value="approve" class="button button-primary">{format!("Give {who} access", who = first_requester.clone())}</button>
                                <button type="submit" name="decision" value="deny" class="button">"Deny"</button>
                            }.into_any(),
                        }}
                    </div>
                </form>
            })}
        </div>
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let notifications = Resource::new(|| (), |_| load_notifications());
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <SignedInHeader/>
        <Title text="Notifications"/>
        <main id="main" class="page page-narrow">
            <h1>"Notifications"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    let token = token_of(&auth.await);
                    match notifications.await {
                        Ok(n) => view! { <NotificationList notifications=n token/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn NotificationList(notifications: Notifications, token: String) -> impl IntoView {
    if notifications.items.is_empty() {
        return view! { <p>"Nothing yet. You'll find answers to your requests, and requests to review, here."</p> }.into_any();
    }
    let unread = notifications.unread;
    view! {
        <div class="card-heading-row">
            <p class="muted" data-testid="unread-count">{if unread == 0 { "All read.".to_string() } else { format!("{unread} unread") }}</p>
            {(unread > 0).then(|| view! {
                <form method="post" action="/notifications/read" class="inline-form">
                    <CsrfField token=token/>
                    <button type="submit" class="button">"Mark all as read"</button>
                </form>
            })}
        </div>
        <ul class="notification-list">
            {notifications.items.into_iter().map(|n| {
                let class = if n.read_at.is_none() { "notification unread" } else { "notification" };
                view! {
                    <li class=class>
                        // Following it marks it read (GET /notifications/{id}/open).
                        {match n.link.clone() {
                            Some(_) => view! { <a class="notification-title" href=format!("/notifications/{}/open", n.id)>{n.title.clone()}</a> }.into_any(),
                            None => view! { <span class="notification-title">{n.title.clone()}</span> }.into_any(),
                        }}
                        {n.read_at.is_none().then(|| view! { <span class="visually-hidden">" (unread)"</span> })}
                        <span class="notification-body">{n.body.clone()}</span>
                        <time class="muted">{when(n.created_at)}</time>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}
