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
    buses::BusesPage, import::ImportPage, new_variable::NewVariablePage, overview::OverviewPage,
    protections::ProtectionsPage, registry::RegistryPage, variable::VariablePage,
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
lazy_page!(
    /// `/protections`
    ProtectionsRoute => ProtectionsPage
);
lazy_page!(
    /// `/registry/new`
    NewVariableRoute => NewVariablePage
);
lazy_page!(
    /// `/registry/import`
    ImportRoute => ImportPage
);
lazy_page!(
    /// `/registry/:name`
    VariableRoute => VariablePage
);

/// Loads the WASM chunks of the page at `path` (a no-op on the server and for the 404 page). The
/// browser entry point awaits it before hydrating, so that hydration does not stop half-way to
/// wait for the chunk. Keep it in step with the routes in `App`.
pub async fn preload_page(path: &str) {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => OverviewRoute::preload().await,
        ["registry"] => RegistryRoute::preload().await,
        ["buses"] => BusesRoute::preload().await,
        ["protections"] => ProtectionsRoute::preload().await,
        ["registry", "new"] => NewVariableRoute::preload().await,
        ["registry", "import"] => ImportRoute::preload().await,
        ["registry", _] => VariableRoute::preload().await,
        _ => {}
    }
}
