//! My Apps: every app the person may launch, as tiles grouped by category,
//! with Favourites (pinned) and Recently used rows, instant search, and
//! keyboard navigation. Rendered complete on the server (search works as a
//! plain GET form and the chips as links before the script loads); the
//! `Portal` island then filters as you type and pins through the JSON API
//! without a reload. The header around it is plain HTML.

use crate::auth::AuthView;
use crate::components::layout::{AppHeader, Loading};
use crate::components::tile::Tile;
use crate::models::apps::{by_category, category_counts, filter_tiles, AppTile, MyApps};
use crate::server_fns::apps::load_my_apps;
use crate::server_fns::session::auth_state;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn MyAppsPage() -> impl IntoView {
    let auth = Resource::new(|| (), |_| auth_state());
    let apps = Resource::new(|| (), |_| load_my_apps());
    let query_map = use_query_map();
    view! {
        <Title text="My Apps"/>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match (auth.await, apps.await) {
                    (Ok(AuthView::SignedIn(viewer)), Ok(apps)) => {
                        let (query, category) = query_map.with_untracked(|q| {
                            (q.get("q").unwrap_or_default(), q.get("category").filter(|c| !c.trim().is_empty()))
                        });
                        view! {
                            <AppHeader viewer=viewer.clone()/>
                            <main id="main" class="page">
                                <Portal apps csrf_token=viewer.csrf_token.clone() query category/>
                            </main>
                        }.into_any()
                    }
                    (_, Err(e)) => view! {
                        <main id="main" class="page"><h1>"My Apps"</h1><p role="alert" class="alert alert-error">{e.to_string()}</p></main>
                    }.into_any(),
                    _ => view! { <main id="main" class="page"><h1>"My Apps"</h1><p><a href="/sign-in" rel="external">"Sign in"</a></p></main> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The address of the list filtered by `category` and searched for `query`.
fn list_href(category: Option<&str>, query: &str) -> String {
    let mut params = url::form_urlencoded::Serializer::new(String::new());
    if let Some(c) = category {
        params.append_pair("category", c);
    }
    if !query.trim().is_empty() {
        params.append_pair("q", query.trim());
    }
    let params = params.finish();
    if params.is_empty() {
        "/".to_string()
    } else {
        format!("/?{params}")
    }
}

/// The interactive part of My Apps: search, category chips, the grid and
/// pins. An island: the only code this page ships. Its state starts from
/// what the server rendered (the props) and keeps the address bar in step
/// (`?category=`, `?q=`), so filters can be bookmarked, survive a reload and
/// work with Back and Forward.
#[island]
fn Portal(apps: MyApps, csrf_token: String, query: String, category: Option<String>) -> impl IntoView {
    let query = RwSignal::new(query);
    let category = RwSignal::new(category);
    let state = RwSignal::new(apps);
    let csrf = csrf_token;
    let status = RwSignal::new(String::new());

    let on_pin = Callback::new({
        let csrf = csrf.clone();
        move |(app_id, pinned): (String, bool)| {
            let previous = state.get_untracked();
            state.update(|s| {
                if let Some(t) = s.apps.iter_mut().find(|t| t.id == app_id) {
                    t.pinned = pinned;
                }
            });
            let name = previous.apps.iter().find(|t| t.id == app_id).map(|t| t.name.clone()).unwrap_or_default();
            status.set(if pinned { format!("{name} added to Favourites") } else { format!("{name} removed from Favourites") });
            #[cfg(feature = "hydrate")]
            {
                let csrf = csrf.clone();
                leptos::task::spawn_local(async move {
                    if let Err(e) = crate::client::set_pinned(&app_id, pinned, &csrf).await {
                        state.set(previous);
                        status.set(format!("Couldn't save that change ({e}). Try again."));
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (previous, &csrf);
        }
    });

    // Live refresh: when the person comes back to the tab, fetch the list
    // again (assignments may have changed meanwhile).
    #[cfg(feature = "hydrate")]
    {
        let handle = window_event_listener(leptos::ev::focus, move |_| {
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = crate::client::my_apps().await {
                    state.set(fresh);
                }
            });
        });
        on_cleanup(move || handle.remove());
        let keys = window_event_listener(leptos::ev::keydown, move |ev| {
            keyboard::global_shortcut(&ev);
        });
        on_cleanup(move || keys.remove());
        // Back and Forward move between filters without a reload.
        let history = window_event_listener(leptos::ev::popstate, move |_| {
            let (q, c) = address::current();
            query.set(q);
            category.set(c);
        });
        on_cleanup(move || history.remove());
    }

    let filtered = move || {
        let q = query.get();
        category.with(|c| state.with(|s| filter_tiles(&s.apps, &q, c.as_deref())))
    };
    let total = move || state.with(|s| s.apps.len());
    let searching = move || !query.get().trim().is_empty();
    let filtering = move || searching() || category.with(Option::is_some);
    let pinned = move || state.with(|s| s.apps.iter().filter(|t| t.pinned).cloned().collect::<Vec<_>>());
    let recent =
        move || state.with(|s| s.recent.iter().take(6).filter_map(|id| s.apps.iter().find(|t| &t.id == id).cloned()).collect::<Vec<_>>());

    let grid = {
        let csrf = csrf.clone();
        move |tiles: Vec<AppTile>| {
            let csrf = csrf.clone();
            view! {
                <ul class="tile-grid" on:keydown=keyboard::grid_keys>
                    {tiles.into_iter().map(|t| view! { <Tile tile=t csrf_token=csrf.clone() on_pin/> }).collect_view()}
                </ul>
            }
        }
    };

    let body = {
        let grid = grid.clone();
        move || {
            if total() == 0 {
                return view! {
                    <div class="empty-state">
                        <h2>"No apps yet"</h2>
                        <p>"When your admin gives you access to apps, they appear here. If you expected to see an app, ask your admin to assign it to you."</p>
                    </div>
                }
                .into_any();
            }
            if filtering() {
                let results = filtered();
                let in_category = category.get().map(|c| format!(" in {c}")).unwrap_or_default();
                if results.is_empty() {
                    let q = query.get();
                    let title = if searching() { format!("No apps match “{q}”{in_category}") } else { format!("No apps{in_category}") };
                    return view! {
                        <div class="empty-state" role="status">
                            <h2>{title}</h2>
                            {searching().then(|| view! {
                                <p>"Check the spelling, or search by publisher or category."</p>
                                <button type="button" class="button" on:click=move |_| query.set(String::new())>"Clear search"</button>
                            })}
                            {category.get().map(|_| view! { <p><a href="/">"Show all apps"</a></p> })}
                        </div>
                    }
                    .into_any();
                }
                let n = results.len();
                let heading = if searching() {
                    format!("{n} result{}{in_category}", if n == 1 { "" } else { "s" })
                } else {
                    format!("{} · {n} app{}", category.get().unwrap_or_default(), if n == 1 { "" } else { "s" })
                };
                return view! {
                    <section aria-labelledby="results-heading">
                        <h2 id="results-heading" class="section-title">{heading}</h2>
                        {grid(results)}
                    </section>
                }
                .into_any();
            }
            let favourites = pinned();
            let recents = recent();
            let categories = by_category(&state.with(|s| s.apps.clone()));
            view! {
                {(!favourites.is_empty()).then(|| view! {
                    <section aria-labelledby="favourites-heading">
                        <h2 id="favourites-heading" class="section-title">"Favourites"</h2>
                        {grid(favourites.clone())}
                    </section>
                })}
                {(!recents.is_empty()).then(|| view! {
                    <section aria-labelledby="recent-heading">
                        <h2 id="recent-heading" class="section-title">"Recently used"</h2>
                        {grid(recents.clone())}
                    </section>
                })}
                {categories.into_iter().enumerate().map(|(i, (category, tiles))| {
                    let heading = format!("category-{i}");
                    let labelledby = heading.clone();
                    view! {
                        <section aria-labelledby=labelledby>
                            <h2 id=heading class="section-title">{category}</h2>
                            {grid(tiles)}
                        </section>
                    }
                }).collect_view()}
            }
            .into_any()
        }
    };

    view! {
            <div class="page-heading">
                <h1>"My Apps"</h1>
                <form method="get" action="/" role="search" class="search-form" on:submit=|ev| ev.prevent_default()>
                    <label for="app-search" class="visually-hidden">"Search apps"</label>
                    {move || category.get().map(|c| view! { <input type="hidden" name="category" value=c/> })}
                    <input id="app-search" name="q" type="search" placeholder="Search apps  (press / )" autocomplete="off"
                        prop:value=move || query.get()
                        on:input=move |ev| {
                            query.set(event_target_value(&ev));
                            address::replace(&list_href(category.get_untracked().as_deref(), &query.get_untracked()));
                        }/>
                </form>
            </div>
            <CategoryFilter apps=state category query/>
            <p class="visually-hidden" role="status">{move || status.get()}</p>
            {body}
    }
}

/// The category chips: "All" and one link per category with its count. Only
/// shown when there is more than one category to choose from. They are plain
/// links (they work before the script loads); once it has, a click filters
/// in place and records the address in the history.
#[component]
fn CategoryFilter(apps: RwSignal<MyApps>, category: RwSignal<Option<String>>, query: RwSignal<String>) -> impl IntoView {
    let chip = move |name: Option<String>, label: String, count: usize| {
        let target = name.clone();
        let href = {
            let name = name.clone();
            move || list_href(name.as_deref(), &query.get())
        };
        let current = {
            let name = name.clone();
            move || category.with(|c| (*c == name).then_some("page"))
        };
        let on_click = move |ev: leptos::ev::MouseEvent| {
            // Let modified clicks open a new tab or window as usual.
            if ev.button() != 0 || ev.ctrl_key() || ev.meta_key() || ev.shift_key() || ev.alt_key() {
                return;
            }
            ev.prevent_default();
            category.set(target.clone());
            address::push(&list_href(target.as_deref(), &query.get_untracked()));
        };
        view! {
            <li>
                <a href=href aria-current=current class="chip" on:click=on_click>
                    {label} " " <span class="chip-count">{count}</span>
                </a>
            </li>
        }
    };
    move || {
        let counts = apps.with(|s| category_counts(&s.apps));
        let total: usize = counts.iter().map(|(_, n)| n).sum();
        (counts.len() > 1).then(|| {
            view! {
                <nav aria-label="Categories" class="category-filter">
                    <ul>
                        {chip(None, "All".to_string(), total)}
                        {counts.into_iter().map(|(name, n)| chip(Some(name.clone()), name, n)).collect_view()}
                    </ul>
                </nav>
            }
        })
    }
}

/// The address bar, after the script has loaded (no-ops on the server).
mod address {
    /// Adds an entry to the history (a chip was chosen).
    pub fn push(href: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = href;
    }

    /// Replaces the current entry (the search changed as someone typed).
    pub fn replace(href: &str) {
        #[cfg(feature = "hydrate")]
        if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
            let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(href));
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = href;
    }

    /// The search and category in the address bar now.
    #[cfg(feature = "hydrate")]
    pub fn current() -> (String, Option<String>) {
        let search = web_sys::window().and_then(|w| w.location().search().ok()).unwrap_or_default();
        let params = web_sys::UrlSearchParams::new_with_str(&search).ok();
        let get = |name: &str| params.as_ref().and_then(|p| p.get(name));
        (get("q").unwrap_or_default(), get("category").filter(|c| !c.trim().is_empty()))
    }
}

/// Arrow keys move between tiles; "/" jumps to the search box.
mod keyboard {
    #[cfg(feature = "hydrate")]
    use wasm_bindgen::JsCast;

    /// Arrow keys within a grid of tile links.
    pub fn grid_keys(ev: leptos::ev::KeyboardEvent) {
        #[cfg(feature = "hydrate")]
        {
            let key = ev.key();
            if !matches!(key.as_str(), "ArrowRight" | "ArrowLeft" | "ArrowDown" | "ArrowUp") {
                return;
            }
            let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
            let Some(active) = document.active_element() else { return };
            if !active.class_list().contains("tile-link") {
                return;
            }
            let Ok(list) = document.query_selector_all(".tile-link") else { return };
            let links: Vec<web_sys::HtmlElement> =
                (0..list.length()).filter_map(|i| list.item(i)).filter_map(|n| n.dyn_into::<web_sys::HtmlElement>().ok()).collect();
            let Some(current) = links.iter().position(|l| l.is_same_node(Some(&active))) else { return };
            let here = &links[current];
            let target = match key.as_str() {
                "ArrowRight" => links.get(current + 1),
                "ArrowLeft" => current.checked_sub(1).and_then(|i| links.get(i)),
                down_or_up => {
                    // The nearest tile, horizontally, in the next row below (or above).
                    let top = here.get_bounding_client_rect().top();
                    let left = here.get_bounding_client_rect().left();
                    let rows: Vec<&web_sys::HtmlElement> = if down_or_up == "ArrowDown" {
                        let below: Vec<_> = links.iter().filter(|l| l.get_bounding_client_rect().top() > top + 1.0).collect();
                        let next_top = below.iter().map(|l| l.get_bounding_client_rect().top()).fold(f64::INFINITY, f64::min);
                        below.into_iter().filter(|l| (l.get_bounding_client_rect().top() - next_top).abs() < 1.0).collect()
                    } else {
                        let above: Vec<_> = links.iter().filter(|l| l.get_bounding_client_rect().top() < top - 1.0).collect();
                        let prev_top = above.iter().map(|l| l.get_bounding_client_rect().top()).fold(f64::NEG_INFINITY, f64::max);
                        above.into_iter().filter(|l| (l.get_bounding_client_rect().top() - prev_top).abs() < 1.0).collect()
                    };
                    rows.into_iter().min_by(|a, b| {
                        let da = (a.get_bounding_client_rect().left() - left).abs();
                        let db = (b.get_bounding_client_rect().left() - left).abs();
                        da.total_cmp(&db)
                    })
                }
            };
            if let Some(t) = target {
                ev.prevent_default();
                let _ = t.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = ev;
    }

    /// "/" focuses the search box, unless the person is typing somewhere.
    #[cfg(feature = "hydrate")]
    pub fn global_shortcut(ev: &web_sys::KeyboardEvent) {
        if ev.key() != "/" || ev.ctrl_key() || ev.meta_key() || ev.alt_key() {
            return;
        }
        let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
        let typing = document.active_element().is_some_and(|e| matches!(e.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT"));
        if typing {
            return;
        }
        if let Some(input) = document.get_element_by_id("app-search").and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
            ev.prevent_default();
            let _ = input.focus();
        }
    }
}
