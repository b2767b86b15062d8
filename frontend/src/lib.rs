#![recursion_limit = "512"]
//! The browser entry point. Pages are server-rendered HTML; only their
//! islands (`#[island]` components in `app`) are hydrated. The page's loader
//! (`app::assets`) calls `hydrate()` once, then each island's own export.

// Links the app crate, whose #[island] components export their hydration
// functions from this bundle.
use app as _;

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
