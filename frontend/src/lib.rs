//! The browser entry point: hydrate the server-rendered page.
// Leptos view types nest deeply; release builds (without erased components) need more
// than rustc's default query depth.
#![recursion_limit = "512"]

/// Called by the generated JS once the wasm module is loaded.
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    let _ = console_log::init_with_level(log::Level::Info);
    leptos::mount::hydrate_body(app::App);
    // What waited for the browser (local times) fills in now.
    app::hydration::mark_live();
    // A mark for tests and tools that must tell the server's page from the live one.
    if let Some(root) = leptos::prelude::document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}
