//! An app tile: logo or monogram, name and publisher, a pin toggle, a link to
//! the details, and on demand the reason the person has the app.

use crate::components::layout::CsrfField;
use crate::domain::decision::AccessPath;
use crate::models::apps::AppTile;
use leptos::prelude::*;

/// The app's logo, or a coloured monogram when it has none.
#[component]
pub fn AppLogo(tile: AppTile, #[prop(optional)] large: bool) -> impl IntoView {
    let class = if large { "app-logo app-logo-large" } else { "app-logo" };
    match tile.logo_url.clone() {
        Some(url) => view! { <img class=class src=url alt="" width="48" height="48"/> }.into_any(),
        None => view! {
            <span class=format!("{class} monogram") style=format!("--hue: {}", tile.hue) aria-hidden="true">{tile.monogram.clone()}</span>
        }
        .into_any(),
    }
}

/// Plain words for one reason the person has an app.
pub fn why_text(path: &AccessPath) -> String {
    match path {
        AccessPath::Direct => "Assigned to you".to_string(),
        AccessPath::Group { group, via } if via.is_empty() => format!("Through the group {group}"),
        AccessPath::Group { group, via } => format!("Through the group {group} (you're in it via {})", via.join(" → ")),
        AccessPath::OpenToEveryone => "Open to everyone in your organisation".to_string(),
    }
}

#[component]
pub fn Tile(tile: AppTile, #[prop(into)] csrf_token: String, on_pin: Callback<(String, bool)>) -> impl IntoView {
    let id = tile.id.clone();
    let name = tile.name.clone();
    let pinned = tile.pinned;
    let why: Vec<String> = tile.why.iter().map(why_text).collect();
    let pin_label = format!("Pin {name} to Favourites");
    let details_label = format!("Details of {name}");
    let on_submit = {
        let id = id.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            on_pin.run((id.clone(), !pinned));
        }
    };
    view! {
        <li class="tile">
            <a class="tile-link" href=tile.launch_url.clone() rel="external" data-app-id=id.clone()>
                <AppLogo tile=tile.clone()/>
                <span class="tile-text">
                    <span class="tile-name">{name.clone()}</span>
                    <span class="tile-publisher">
                        {tile.publisher.clone()}
                        {tile.publisher_verified.then(|| view! { <span class="verified" title="Verified publisher">" ✓"<span class="visually-hidden">" (verified publisher)"</span></span> })}
                    </span>
                </span>
            </a>
            <div class="tile-actions">
                <form method="post" action=format!("/me/apps/{id}/pin") class="inline-form" on:submit=on_submit>
                    <CsrfField token=csrf_token/>
                    <input type="hidden" name="pinned" value=(!pinned).to_string()/>
                    <button type="submit" class="icon-button" aria-pressed=pinned.to_string() aria-label=pin_label title="Favourite">
                        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                            <path d="M12 3.5l2.6 5.3 5.9.9-4.2 4.1 1 5.8L12 16.9l-5.3 2.7 1-5.8-4.2-4.1 5.9-.9z"
                                fill=if pinned { "currentColor" } else { "none" } stroke="currentColor" stroke-width="1.6" stroke-linejoin="round"></path>
                        </svg>
                    </button>
                </form>
                <a class="icon-button" href=format!("/apps/{id}") aria-label=details_label title="Details">
                    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
                        <circle cx="12" cy="12" r="9" fill="none" stroke="currentColor" stroke-width="1.6"></circle>
                        <path d="M12 11v6M12 7.5v.5" stroke="currentColor" stroke-width="1.8" stroke-linecap="round"></path>
                    </svg>
                </a>
                <details class="why">
                    <summary>"Why do I have this?"</summary>
                    <ul>{why.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                </details>
            </div>
        </li>
    }
}
