//! The WASM entry point: hydrates the server-rendered page and nothing else.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // The pages are lazy routes (app/src/routes.rs), each in its own WASM chunk. The current
    // page's chunks are loaded first (the server already asked the browser to fetch them), then the
    // whole page hydrates in one go: the layout's `data-hydrated` marker (which tests wait for)
    // turns true only once the page itself is interactive, not while its chunk is still loading.
    wasm_bindgen_futures::spawn_local(async {
        let path = leptos::prelude::window()
            .location()
            .pathname()
            .unwrap_or_default();
        app::routes::preload_page(&path).await;
        leptos::mount::hydrate_lazy(app::App);
    });
}
