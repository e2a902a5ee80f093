//! The 404 page for unknown paths (the HTTP status is 404 too).

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
            response.set_status(axum::http::StatusCode::NOT_FOUND);
        }
    }
    view! {
        <Title text="Page not found" />
        <section class="page not-found" aria-labelledby="not-found-title">
            <p class="eyebrow">"Error 404"</p>
            <h1 id="not-found-title">"Page not found"</h1>
            <p class="muted">
                "There is no page at this address. It may have moved, or the link may be mistyped."
            </p>
            <p>
                <a class="button" href="/">
                    "Go to the overview"
                </a>
            </p>
        </section>
    }
}
