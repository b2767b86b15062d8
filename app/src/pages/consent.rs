//! Consent, for the employee: the prompt a launch stops at when an app asks
//! for permissions nobody has granted yet (`/consent/:app_id`), the apps
//! they let in (`/my-consents`), and the confirmation before removing one
//! (`/my-consents/:app_id/remove`). The pages show; the server decides again
//! on every post (`server/src/http/consent.rs`).

use super::admin::when;
use crate::components::layout::{token_of, Alert, CsrfField, Loading, SignedInHeader};
use crate::components::request::{AskedCard, JustificationField};
use crate::domain::consent::ConsentNext;
use crate::models::apps::GrantedBy;
use crate::models::consents::{ConsentPrompt, ConsentedApp, MyConsents};
use crate::server_fns::apps::{load_consent_prompt, load_my_consents};
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn publisher_line(publisher: &str, verified: bool, in_org: bool) -> String {
    let mut line = publisher.to_string();
    line.push_str(if verified { " · Verified publisher" } else { " · Publisher not verified" });
    if in_org {
        line.push_str(" · Registered by your organisation");
    }
    line
}

#[component]
pub fn ConsentPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let app_id = move || params.read().get("app_id").unwrap_or_default();
    // prompt=admin_consent: a privileged admin consents for everyone.
    let for_organisation = move || query.read().get("for").as_deref() == Some("organisation");
    // prompt=consent: confirm what was granted before.
    let review = move || query.read().get("review").is_some();
    let prompt = Resource::new(app_id, load_consent_prompt);
    let auth = Resource::new(|| (), |_| auth_state());
    let changed = move || query.read().get("changed").is_some();
    // Consent asked for by an app's sign-in request: back to it afterwards.
    let return_to = move || crate::domain::oidc::authorize_continuation(query.read().get("return_to").as_deref());
    let asked = move || AskState {
        sent: query.read().get("sent"),
        justification: query.read().get("justification").unwrap_or_default(),
        errors: query.read().get("errors").unwrap_or_default(),
    };
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let token = token_of(&auth.await);
                if let (true, Some(back)) = (for_organisation(), return_to()) {
                    return view! { <main id="main" class="page page-narrow"><OrganisationConsent app_id=app_id() token return_to=back/></main> }.into_any();
                }
                let body = match prompt.await {
                    Ok(Some(p)) => view! { <Prompt prompt=p token changed=changed() asked=asked() return_to=return_to()/> }.into_any(),
                    Ok(None) if review() && return_to().is_some() => {
                        view! { <ReviewConsent app_id=app_id() return_to=return_to().unwrap_or_default()/> }.into_any()
                    }
                    Ok(None) => view! {
                        <Title text="Nothing to approve"/>
                        <h1>"Nothing to approve here"</h1>
                        <p>"This app doesn't need your permission right now: it may already have it, or it isn't available to you."</p>
                        <p><a class="button button-primary" href=format!("/launch/{}", app_id())>"Open the app"</a>" "<a class="button" href="/">"Back to My Apps"</a></p>
                    }.into_any(),
                    Err(e) => view! { <h1>"Permissions requested"</h1><Alert message=e.to_string() error=true/> }.into_any(),
                };
                view! { <main id="main" class="page page-narrow">{body}</main> }.into_any()
            })}
        </Suspense>
    }
}

/// What came back with the page after "Request approval": whether it was
/// sent, or what to fix in what they typed.
#[derive(Clone, Debug, Default)]
struct AskState {
    sent: Option<String>,
    justification: String,
    errors: String,
}

#[component]
fn Prompt(prompt: ConsentPrompt, token: String, changed: bool, asked: AskState, return_to: Option<String>) -> impl IntoView {
    // From an app's sign-in: accepting continues it, cancelling tells the app no.
    let cancel = return_to.as_deref().map_or_else(|| "/".to_string(), declined);
    let ids: Vec<String> = prompt.missing.iter().map(|p| p.id.clone()).collect();
    let heading = format!("{} wants permission", prompt.app_name);
    let logo_style = format!("--hue: {}", prompt.hue);
    view! {
        <Title text=heading.clone()/>
        <div class="details-heading">
            {match prompt.logo_url.clone() {
                Some(url) => view! { <img class="app-logo app-logo-large" src=url alt="" width="48" height="48"/> }.into_any(),
                None => view! { <span class="app-logo app-logo-large monogram" style=logo_style aria-hidden="true">{prompt.monogram.clone()}</span> }.into_any(),
            }}
            <div>
                <h1>{heading}</h1>
                <p class="muted" data-testid="publisher">{publisher_line(&prompt.publisher, prompt.publisher_verified, prompt.registered_in_org)}</p>
            </div>
        </div>
        {changed.then(|| view! { <Alert message="What this app asks for changed since you saw it. Check the list again." error=true/> })}
        <section class="card" aria-labelledby="asks-heading">
            <h2 id="asks-heading">"It will be able to"</h2>
            <ul class="permission-list">
                {prompt.missing.iter().map(|p| view! {
                    <li>
                        <span class="permission-name">{p.display_name.clone()}</span>
                        <span class="permission-description">{p.description.clone()}</span>
                        <span class="permission-meta">{format!("{} · {} · {}", p.api_name, p.value, p.impact)}</span>
                    </li>
                }).collect_view()}
            </ul>
            {(prompt.already_granted > 0).then(|| view! {
                <p class="muted">{format!("It already has {} other permission{} you or your organisation granted.", prompt.already_granted, if prompt.already_granted == 1 { "" } else { "s" })}</p>
            })}
            <p class="muted">"You can remove this later on My consents. Only accept if you trust the publisher."</p>
        </section>
        {match prompt.next {
            ConsentNext::UserCanConsent => view! {
                <form method="post" action=format!("/consent/{}", prompt.app_id) class="actions">
                    <CsrfField token=token/>
                    <input type="hidden" name="permissions" value=ids.join(",")/>
                    {return_to.clone().map(|back| view! { <input type="hidden" name="return_to" value=back/> })}
                    <button type="submit" class="button button-primary">{if return_to.is_some() { "Accept and continue" } else { "Accept and open" }}</button>
                    <a class="button" href=cancel rel="external">"Cancel"</a>
                </form>
            }.into_any(),
            ConsentNext::ApprovalRequired => view! { <ApprovalRequired prompt=prompt.clone() token asked/> }.into_any(),
            ConsentNext::Blocked => view! {
                <Alert message="Your organisation blocked this app: it can't be requested or consented to. Ask your admin if you think this is wrong." error=true/>
                <p><a class="button" href="/">"Back to My Apps"</a></p>
            }.into_any(),
            ConsentNext::AdminApprovalNeeded => view! {
                <Alert message="Your organisation doesn't let you grant these permissions yourself. An admin has to approve this app."/>
                <p><a class="button" href="/">"Back to My Apps"</a></p>
            }.into_any(),
        }}
    }
}

#[component]
pub fn MyConsentsPage() -> impl IntoView {
    let query = use_query_map();
    let consents = Resource::new(|| (), |_| load_my_consents());
    let removed = move || query.read().get("notice").as_deref() == Some("removed");
    view! {
        <SignedInHeader/>
        <Title text="My consents"/>
        <main id="main" class="page page-narrow">
            <p><a href="/">"← My Apps"</a></p>
            <h1>"My consents"</h1>
            <p class="muted">"Apps that can use your data, and what they can do with it."</p>
            {move || removed().then(|| view! { <Alert message="Removed. The app can no longer use those permissions; it will ask again next time you open it."/> })}
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match consents.await {
                        Ok(mine) => view! { <ConsentList mine/> }.into_any(),
                        Err(e) => view! { <Alert message=e.to_string() error=true/> }.into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn ConsentList(mine: MyConsents) -> impl IntoView {
    if mine.apps.is_empty() {
        return view! { <p>"You haven't let any app use your data, and your organisation hasn't for any app you have."</p> }.into_any();
    }
    let note = (!mine.users_can_remove).then(|| {
        view! { <p class="muted">"Your organisation doesn't let people remove apps they consented to. Ask your admin if you want one removed."</p> }
    });
    view! {
        {note}
        <ul class="consent-list">
            {mine.apps.into_iter().map(|app| view! { <li><ConsentCard app/></li> }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn ConsentCard(app: ConsentedApp) -> impl IntoView {
    let heading_id = format!("consent-{}-{}", app.app_id, if app.granted_by == GrantedBy::You { "you" } else { "org" });
    let by = match app.granted_by {
        GrantedBy::You => format!("You consented on {}", when(app.granted_at)),
        GrantedBy::Organisation => format!("Granted by your organisation on {}", when(app.granted_at)),
    };
    let labelled_by = heading_id.clone();
    view! {
        <section class="card" aria-labelledby=labelled_by>
            <h2 id=heading_id>{app.app_name.clone()}</h2>
            <p class="muted">{publisher_line(&app.publisher, app.publisher_verified, false)}" · "{by}</p>
            <ul class="permission-list">
                {app.permissions.iter().map(|p| view! {
                    <li>
                        <span class="permission-name">{p.display_name.clone()}</span>
                        <span class="permission-description">{p.description.clone()}</span>
                        <span class="permission-meta">{format!("{} · {} · since {}", p.api_name, p.value, when(p.granted_at))}</span>
                    </li>
                }).collect_view()}
            </ul>
            {app.removable.then(|| view! {
                <p><a class="button" href=format!("/my-consents/{}/remove", app.app_id)>{format!("Remove {}", app.app_name)}</a></p>
            })}
        </section>
    }
}

#[component]
pub fn RemoveConsentPage() -> impl IntoView {
    let params = use_params_map();
    let app_id = move || params.read().get("app_id").unwrap_or_default();
    let consents = Resource::new(|| (), |_| load_my_consents());
    let auth = Resource::new(|| (), |_| auth_state());
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let token = token_of(&auth.await);
                let mine = consents.await;
                let own = mine.as_ref().ok().and_then(|m| m.apps.iter().find(|a| a.app_id == app_id() && a.removable).cloned());
                let body = match own {
                    Some(app) => view! {
                        <Title text=format!("Remove {}?", app.app_name)/>
                        <h1>{format!("Remove {}?", app.app_name)}</h1>
                        <p>"If you remove it:"</p>
                        <ul>
                            <li>{format!("{} loses these permissions: {}.", app.app_name, app.permissions.iter().map(|p| p.display_name.as_str()).collect::<Vec<_>>().join(", "))}</li>
                            <li>"It can't sign you in or use your data with what you granted: its sessions and refresh tokens under this consent stop now."</li>
                            <li>"The next time you open it, it asks for your permission again."</li>
                        </ul>
                        <form method="post" action=format!("/my-consents/{}/remove", app.app_id) class="actions">
                            <CsrfField token=token/>
                            <button type="submit" class="button button-danger">"Remove"</button>
                            <a class="button" href="/my-consents">"Cancel"</a>
                        </form>
                    }.into_any(),
                    None => view! {
                        <Title text="Nothing to remove"/>
                        <h1>"Nothing to remove"</h1>
                        <p>"You haven't given this app consent that you can remove."</p>
                        <p><a class="button" href="/my-consents">"Back to My consents"</a></p>
                    }.into_any(),
                };
                view! { <main id="main" class="page page-narrow">{body}</main> }
            })}
        </Suspense>
    }
}

/// "Approval required": why they need it, then "Request approval"; while
/// their request is pending, when they asked (asking again sends nothing).
#[component]
fn ApprovalRequired(prompt: ConsentPrompt, token: String, asked: AskState) -> impl IntoView {
    if let Some(asked_at) = prompt.asked_at {
        return view! { <AskedCard what="approval" asked_at sent=asked.sent.clone() testid="request-status"/> }.into_any();
    }
    view! {
        <section class="card" aria-labelledby="approval-heading">
            <h2 id="approval-heading">"Approval required"</h2>
            <p>"Your organisation doesn't let you grant these permissions yourself. Ask for approval: a reviewer decides for everyone in your organisation."</p>
            <form method="post" action=format!("/consent/{}/request", prompt.app_id)>
                <CsrfField token=token/>
                <JustificationField id="justification" typed=asked.justification.clone() errors=asked.errors.clone() readers="Reviewers"/>
                <div class="actions">
                    <button type="submit" class="button button-primary">"Request approval"</button>
                    <a class="button" href="/">"Cancel"</a>
                </div>
            </form>
        </section>
    }
    .into_any()
}

fn declined(back: &str) -> String {
    format!("{back}&{}=1", crate::domain::oidc::DECLINED_PARAM)
}

/// prompt=consent: the app asks the person to confirm what it was granted
/// before; continuing changes nothing, cancelling tells the app no.
#[component]
fn ReviewConsent(app_id: String, return_to: String) -> impl IntoView {
    let details = Resource::new(move || app_id.clone(), crate::server_fns::apps::load_app_details);
    let cancel = declined(&return_to);
    view! {
        <Suspense fallback=Loading>
            {move || {
                let (back, cancel) = (return_to.clone(), cancel.clone());
                Suspend::new(async move {
                    let Ok(Some(d)) = details.await else {
                        return view! { <h1>"Nothing to approve here"</h1><p><a class="button" href="/">"Back to My Apps"</a></p> }.into_any();
                    };
                    let heading = format!("Continue to {}?", d.app.name);
                    view! {
                        <Title text=heading.clone()/>
                        <h1>{heading}</h1>
                        <p class="muted" data-testid="publisher">{publisher_line(&d.app.publisher, d.app.publisher_verified, d.registered_in_org)}</p>
                        <section class="card" aria-labelledby="keeps-heading">
                            <h2 id="keeps-heading">"It asks you to confirm it may keep"</h2>
                            <ul class="permission-list">
                                {d.permissions.iter().map(|p| view! {
                                    <li>
                                        <span class="permission-name">{p.display_name.clone()}</span>
                                        <span class="permission-description">{p.description.clone()}</span>
                                        <span class="permission-meta">{format!("{} · {} · {}", p.api_name, p.value, if p.granted_by == Some(GrantedBy::Organisation) { "granted by your organisation" } else { "granted by you" })}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <p class="muted">"You can remove what you granted on My consents."</p>
                        </section>
                        <p class="actions">
                            <a class="button button-primary" href=back rel="external">"Continue"</a>
                            <a class="button" href=cancel rel="external">"Cancel"</a>
                        </p>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}

/// prompt=admin_consent: what the app asks for, granted for everyone in
/// the organisation by a privileged admin (the grant's form and rules are
/// the admin area's; this page only asks).
#[component]
fn OrganisationConsent(app_id: String, token: String, return_to: String) -> impl IntoView {
    let consents = Resource::new(move || app_id.clone(), crate::server_fns::admin::load_app_consents);
    let cancel = declined(&return_to);
    view! {
        <Suspense fallback=Loading>
            {move || {
                let (back, cancel, token) = (return_to.clone(), cancel.clone(), token.clone());
                Suspend::new(async move {
                    let c = match consents.await {
                        Ok(Some(c)) => c,
                        Ok(None) => return view! { <h1>"We can't find that app"</h1> }.into_any(),
                        Err(e) => return view! { <h1>"Permissions requested"</h1><Alert message=e.to_string() error=true/> }.into_any(),
                    };
                    let heading = format!("{} wants permission for your organisation", c.app_name);
                    view! {
                        <Title text=heading.clone()/>
                        <h1>{heading}</h1>
                        {c.blocked_reason.clone().map(|r| view! { <Alert message=format!("This app is blocked from consent: {r}. Unblock it from Reviews first.") error=true/> })}
                        <section class="card" aria-labelledby="org-asks-heading">
                            <h2 id="org-asks-heading">"For everyone in your organisation, it will be able to"</h2>
                            {if c.requested.is_empty() {
                                view! { <p class="empty-state">"Nothing: it asks for no permissions."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="permission-list">
                                        {c.requested.iter().map(|p| view! {
                                            <li>
                                                <span class="permission-name">{p.display_name.clone()}</span>
                                                <span class="permission-description">{p.description.clone()}</span>
                                                <span class="permission-meta">{format!("{} · {} · {}", p.api_name, p.value, p.classification.map_or("Not classified", |c| c.label()))}</span>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <p class="muted">"Nobody will be asked again for these. You can revoke the grant from the app's Consent grants page."</p>
                        </section>
                        <form method="post" action=format!("/admin/apps/{}/consents", c.app_id) class="actions">
                            <CsrfField token=token/>
                            <input type="hidden" name="scope" value="organisation"/>
                            <input type="hidden" name="return_to" value=back/>
                            <button type="submit" class="button button-primary">"Accept for your organisation"</button>
                            <a class="button" href=cancel rel="external">"Cancel"</a>
                        </form>
                    }.into_any()
                })
            }}
        </Suspense>
    }
}
