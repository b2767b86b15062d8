//! A "Copy" button for deep links and support details: an island (it needs
//! the page's script; until then the text beside it is selectable).

use leptos::prelude::*;

#[island]
pub fn CopyButton(text: String, label: String) -> impl IntoView {
    let copied = RwSignal::new(false);
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            if let Some(window) = web_sys::window() {
                let _ = window.navigator().clipboard().write_text(&text);
                copied.set(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &text;
    };
    view! {
        <button type="button" class="button button-small" on:click=on_click aria-label=label.clone()>
            {move || if copied.get() { "Copied" } else { "Copy" }}
        </button>
        <span class="visually-hidden" role="status">{move || if copied.get() { "Copied to the clipboard" } else { "" }}</span>
    }
}
