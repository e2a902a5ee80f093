//! One lazy route per page: with `cargo leptos build --split` each page's code is its own WASM
//! chunk, fetched when the page is shown (the server names the current page's chunks in
//! `<link rel="preload">`, so a first visit loads them alongside the main bundle). The main bundle
//! keeps only the shell, the router, the layout and the 404 page. The paths are declared in
//! `App` (lib.rs); [`preload_page`] matches the same paths.
//!
//! Without `--split` the browser bundle would import an unresolved placeholder module and never
//! hydrate: every build of the bundle (`scripts/run.sh`, `scripts/test.sh`) passes `--split`.

use leptos::prelude::*;
use leptos_router::{LazyRoute, lazy_route};

use crate::pages::{
    account::AccountPage, alarms::AlarmsPage, audit::AuditLogPage, buses::BusesPage,
    import::ImportPage, new_variable::NewVariablePage, overview::OverviewPage,
    protections::ProtectionsPage, registry::RegistryPage, site::SitePage,
    site_import::SiteImportPage, users::UsersPage, variable::VariablePage,
};

/// Declares a lazy route that renders one page component (the page loads its own data).
macro_rules! lazy_page {
    ($(#[$doc:meta])* $route:ident => $page:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                view! { <$page /> }.into_any()
            }
        }
    };
}

/// Declares a lazy route that serves several pages, chosen by the path's start (the first that
/// matches; the last is the default). Every lazy route adds the sets of WASM chunks the pages
/// share with each other, and each chunk costs its own overhead (a response, a module header) on
/// the first page's transfer: pages seldom used apart share one route.
macro_rules! lazy_pages {
    ($(#[$doc:meta])* $route:ident => $($prefix:literal => $page:ident,)* _ => $default:ident) => {
        $(#[$doc])*
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                Self
            }

            fn view(_this: Self) -> AnyView {
                let path = current_path();
                $(
                    if path.starts_with($prefix) {
                        return view! { <$page /> }.into_any();
                    }
                )*
                view! { <$default /> }.into_any()
            }
        }
    };
}

/// The path the router is showing.
fn current_path() -> String {
    leptos_router::hooks::use_location()
        .pathname
        .get_untracked()
}

lazy_page!(
    /// `/`
    OverviewRoute => OverviewPage
);
lazy_page!(
    /// `/registry`
    RegistryRoute => RegistryPage
);
lazy_page!(
    /// `/buses`
    BusesRoute => BusesPage
);
lazy_pages!(
    /// `/protections`, and `/alarms`, whose panel is the Protections page's.
    ProtectionsRoute => "/alarms" => AlarmsPage, _ => ProtectionsPage
);
lazy_pages!(
    /// `/site` and `/site/import`.
    SiteRoute => "/site/import" => SiteImportPage, _ => SitePage
);
lazy_pages!(
    /// `/registry/:name`, `/registry/new` and `/registry/import`: a variable, and the registry's
    /// edits.
    VariableRoute => "/registry/new" => NewVariablePage, "/registry/import" => ImportPage, _ => VariablePage
);
lazy_pages!(
    /// `/account`, and for admins `/users` and `/audit`.
    AccountRoute => "/users" => UsersPage, "/audit" => AuditLogPage, _ => AccountPage
);

/// The lazy route that serves `path` (`None`: the 404 page, which is in the main bundle). Keep it
/// in step with the routes in `App`.
fn lazy_route_at(path: &str) -> Option<&'static str> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    Some(match segments.as_slice() {
        [] => "overview_route",
        ["registry"] => "registry_route",
        ["buses"] => "buses_route",
        ["protections"] => "protections_route",
        ["site"] | ["site", "import"] => "site_route",
        ["registry", _] => "variable_route",
        ["users"] | ["account"] | ["audit"] => "account_route",
        ["alarms"] => "protections_route",
        _ => return None,
    })
}

/// Loads the WASM chunks of the page at `path` (a no-op on the server and for the 404 page). The
/// browser entry point awaits it before hydrating, so that hydration does not stop half-way to
/// wait for the chunk.
pub async fn preload_page(path: &str) {
    match lazy_route_at(path) {
        Some("overview_route") => OverviewRoute::preload().await,
        Some("registry_route") => RegistryRoute::preload().await,
        Some("buses_route") => BusesRoute::preload().await,
        Some("protections_route") => ProtectionsRoute::preload().await,
        Some("site_route") => SiteRoute::preload().await,
        Some("variable_route") => VariableRoute::preload().await,
        Some("account_route") => AccountRoute::preload().await,
        _ => {}
    }
}

/// `<link rel="preload">` for every WASM chunk of the requested page, in the shell's `<head>`, so
/// the browser fetches them alongside the main bundle instead of after it. Leptos adds the same
/// links itself, but only when the lazy route's view has started rendering by the time it writes
/// the head, which with `SsrMode::Async` is about every other request: these links do not depend
/// on that timing. The chunks are those of the split manifest (provided by `HydrationScripts`,
/// which must come first) under the route's lazy view, `__<route>_view_<hash>`.
#[cfg(feature = "ssr")]
#[component]
pub fn PageChunkPreloads() -> impl IntoView {
    let path = use_context::<axum::http::request::Parts>()
        .map(|parts| parts.uri.path().to_string())
        .unwrap_or_default();
    let manifest = use_context::<leptos::WasmSplitManifest>();
    let hrefs: Vec<String> = match (lazy_route_at(&path), manifest) {
        (Some(route), Some(manifest)) => manifest.0.with_value(|(pkg_root, chunks, _)| {
            let prefix = format!("__{route}_view_");
            chunks
                .iter()
                .filter(|(key, _)| key.starts_with(&prefix))
                .flat_map(|(_, modules)| modules.iter())
                .map(|module| format!("{pkg_root}/{module}.wasm"))
                .collect()
        }),
        _ => Vec::new(),
    };
    hrefs
        .into_iter()
        .map(|href| {
            view! {
                <link
                    rel="preload"
                    href=href
                    r#as="fetch"
                    r#type="application/wasm"
                    crossorigin="anonymous"
                />
            }
        })
        .collect_view()
}

/// In the browser the head is the server's: nothing to add.
#[cfg(not(feature = "ssr"))]
#[component]
pub fn PageChunkPreloads() -> impl IntoView {}
