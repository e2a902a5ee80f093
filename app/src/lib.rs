//! Powerdeck's web application: the HTML shell, the router and its pages, and the thin server
//! functions behind them. Shared types are in `model`, the logic in `services` (feature `ssr`).

// Leptos view types nest deeply; the hydrate build needs more than the default 128 levels.
#![recursion_limit = "256"]
// `#[component]` makes each component's props struct `pub` whatever the function's visibility,
// so a `pub(super)` component would trip `unreachable_pub` on code nobody wrote.
#![allow(unreachable_pub)]

pub mod api;
pub mod components;
pub mod pages;
pub mod routes;
#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::{
    Lazy, ParamSegment, SsrMode, StaticSegment,
    components::{Route, Router, Routes},
};

use crate::components::layout::Layout;
use crate::pages::login::LoginPage;
use crate::pages::not_found::NotFound;
use crate::routes::{
    AccountRoute, BusesRoute, OverviewRoute, PageChunkPreloads, ProtectionsRoute, RegistryRoute,
    SiteRoute, VariableRoute,
};

/// The HTML document around the application, rendered on the server only. The stylesheet, the
/// JS and the WASM carry content hashes in their names when the bundle was built with
/// `hash-files` (the server finds them in the site root and sets `options.hash_files`).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <HashedStylesheet id="powerdeck" options=options.clone() />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <ContentSecurityPolicy />
                <PageChunkPreloads />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The page's Content-Security-Policy: only the console's own scripts, the inline hydration
/// scripts that carry this response's nonce, and WebAssembly compiled from the console's own
/// bundle (`'wasm-unsafe-eval'`); no framing by other sites. Set by the page itself because the
/// nonce is made while it renders; every other response gets the server's default policy.
#[component]
fn ContentSecurityPolicy() -> impl IntoView {
    #[cfg(feature = "ssr")]
    {
        let nonce = leptos::nonce::use_nonce().map(|nonce| nonce.to_string());
        let options = use_context::<leptos_axum::ResponseOptions>();
        if let (Some(nonce), Some(options)) = (nonce, options) {
            let policy = format!(
                "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
                 style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
                 object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
            );
            if let Ok(value) = axum::http::HeaderValue::from_str(&policy) {
                options.insert_header(axum::http::header::CONTENT_SECURITY_POLICY, value);
            }
        }
    }
}

/// The application: layout around the routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Title formatter=|page: String| format!("{page} · Powerdeck") />
        <Router>
            <Layout>
                // SsrMode::Async: pages are sent once their data is read, so they are complete
                // without JavaScript (no streamed placeholders to swap in).
                <Routes fallback=NotFound>
                    // In the main bundle: the first page of every visit, and small.
                    <Route path=StaticSegment("login") view=LoginPage ssr=SsrMode::Async />
                    <Route
                        path=StaticSegment("")
                        view={Lazy::<OverviewRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("registry")
                        view={Lazy::<RegistryRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("buses")
                        view={Lazy::<BusesRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("protections")
                        view={Lazy::<ProtectionsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("site")
                        view={Lazy::<SiteRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("site"), StaticSegment("import"))
                        view={Lazy::<SiteRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("registry"), StaticSegment("new"))
                        view={Lazy::<VariableRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("registry"), StaticSegment("import"))
                        view={Lazy::<VariableRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("audit")
                        view={Lazy::<AccountRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("users")
                        view={Lazy::<AccountRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("account")
                        view={Lazy::<AccountRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=StaticSegment("alarms")
                        view={Lazy::<ProtectionsRoute>::new()}
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=(StaticSegment("registry"), ParamSegment("name"))
                        view={Lazy::<VariableRoute>::new()}
                        ssr=SsrMode::Async
                    />
                </Routes>
            </Layout>
        </Router>
    }
}
