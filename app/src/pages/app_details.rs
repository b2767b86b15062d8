//! One app, for the person who has it: what it is, who publishes it, the
//! permissions it holds for them in plain words, and its deep link.

use crate::components::copy::CopyButton;
use crate::components::layout::{Loading, SignedInHeader};
use crate::components::tile::{why_text, AppLogo};
use crate::models::apps::{AppDetails, GrantedBy, PermissionView};
use crate::server_fns::apps::load_app_details;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn AppDetailsPage() -> impl IntoView {
    let params = use_params_map();
    let app_id = move || params.read().get("app_id").unwrap_or_default();
    let details = Resource::new(app_id, load_app_details);
    view! {
        <SignedInHeader/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let body = match details.await {
                    Ok(Some(d)) => view! { <Details details=d/> }.into_any(),
                    Ok(None) => view! {
                        <Title text="App not found"/>
                        <h1>"We can't find that app"</h1>
                        <p>"It may not exist, or it isn't available to you."</p>
                        <p><a class="button" href="/">"Back to My Apps"</a></p>
                    }.into_any(),
                    Err(e) => view! { <h1>"App details"</h1><p role="alert" class="alert alert-error">{e.to_string()}</p> }.into_any(),
                };
                view! {
                    <main id="main" class="page page-narrow">
                        <p><a href="/">"← My Apps"</a></p>
                        {body}
                    </main>
                }
            })}
        </Suspense>
    }
}

fn granted(p: &PermissionView) -> String {
    match p.granted_by {
        Some(GrantedBy::Organisation) => "Granted by your organisation".into(),
        Some(GrantedBy::You) => "Granted by you".into(),
        None => "Not granted yet".into(),
    }
}

#[component]
fn PermissionList(permissions: Vec<PermissionView>) -> impl IntoView {
    view! {
        <ul class="permission-list">
            {permissions.into_iter().map(|p| {
                let status = granted(&p);
                view! {
                    <li>
                        <span class="permission-name">{p.display_name.clone()}</span>
                        <span class="permission-description">{p.description.clone()}</span>
                        <span class="permission-meta">{format!("{} · {} · ", p.api_name, p.value)}{status}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn Details(details: AppDetails) -> impl IntoView {
    let app = details.app.clone();
    let why: Vec<String> = app.why.iter().map(why_text).collect();
    let blocked = details.launch_blocked_by.clone();
    view! {
        <Title text=app.name.clone()/>
        <div class="details-heading">
            <AppLogo tile=app.clone() large=true/>
            <div>
                <h1>{app.name.clone()}</h1>
                <p class="muted">
                    {app.publisher.clone()}
                    {if app.publisher_verified { " · Verified publisher" } else { " · Publisher not verified" }}
                    {if details.registered_in_org { " · Registered by your organisation" } else { "" }}
                </p>
            </div>
            <a class="button button-primary details-open" href=app.launch_url.clone() rel="external">"Open"</a>
        </div>
        {blocked.map(|code| {
            let (title, _, _) = crate::models::apps::refusal_text(&code);
            view! { <p class="alert alert-info">{format!("Opening it now would stop at: {title} ({code}).")}</p> }
        })}
        <section class="card" aria-labelledby="about-heading">
            <h2 id="about-heading">"About"</h2>
            <p>{if app.description.is_empty() { "No description.".to_string() } else { app.description.clone() }}</p>
            <p class="muted">{format!("Category: {}", app.category)}</p>
            <h3>"Why you have it"</h3>
            <ul>{why.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
        </section>
        <section class="card" aria-labelledby="link-heading">
            <h2 id="link-heading">"Link to this app"</h2>
            <p class="muted">"Bookmark it or share it with a colleague: it opens the app, signing in first if needed."</p>
            <div class="copy-row">
                <label for="deep-link" class="visually-hidden">"Link to this app"</label>
                <input id="deep-link" type="text" readonly value=details.deep_link.clone()/>
                <CopyButton text=details.deep_link.clone() label="Copy the link to this app".to_string()/>
            </div>
        </section>
        <section class="card" aria-labelledby="permissions-heading">
            <h2 id="permissions-heading">"Permissions"</h2>
            {if details.permissions.is_empty() && details.pending_permissions.is_empty() {
                view! { <p>"This app doesn't ask for any permissions."</p> }.into_any()
            } else {
                view! {
                    {(!details.permissions.is_empty()).then(|| view! {
                        <p>"What this app can do for you:"</p>
                        <PermissionList permissions=details.permissions.clone()/>
                    })}
                    {(!details.pending_permissions.is_empty()).then(|| view! {
                        <p>"It also asks for these, which nobody has granted yet:"</p>
                        <PermissionList permissions=details.pending_permissions.clone()/>
                    })}
                }.into_any()
            }}
        </section>
    }
}
