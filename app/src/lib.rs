//! Powerdeck's web application: the HTML shell, the router and its pages, and the thin server
//! functions behind them. Shared types are in `model`, the logic in `services` (feature `ssr`).

// Leptos view types nest deeply; the hydrate build needs more than the default 128 levels.
#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{MetaTags, Stylesheet, Title, provide_meta_context};
use leptos_router::{
    ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::components::layout::Layout;
use crate::pages::{
    buses::BusesPage, import::ImportPage, new_variable::NewVariablePage, not_found::NotFound,
    overview::OverviewPage, protections::ProtectionsPage, registry::RegistryPage,
    variable::VariablePage,
};

/// The HTML document around the application, rendered on the server only.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The application: layout around the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="powerdeck" href="/pkg/powerdeck.css" />
        <Title formatter=|page: String| format!("{page} · Powerdeck") />
        <Router>
            <Layout>
                // SsrMode::Async: pages are sent once their data is read, so they are complete
                // without JavaScript (no streamed placeholders to swap in).
                <Routes fallback=NotFound>
                    <Route path=StaticSegment("") view=OverviewPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("registry") view=RegistryPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("buses") view=BusesPage ssr=SsrMode::Async />
                    <Route path=StaticSegment("protections") view=ProtectionsPage ssr=SsrMode::Async />
                    <Route
                        path=(StaticSegment("registry"), StaticSegment("new"))
                        view=NewVariablePage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("registry"), StaticSegment("import"))
                        view=ImportPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("registry"), ParamSegment("name"))
                        view=VariablePage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}
