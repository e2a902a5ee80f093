//! The frame around every page: skip link, header with the product name, navigation, main area.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// One entry of the main navigation. Later screens add themselves here.
struct NavItem {
    href: &'static str,
    label: &'static str,
}

const NAV_ITEMS: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "Overview",
    },
    NavItem {
        href: "/registry",
        label: "Registry",
    },
    NavItem {
        href: "/protections",
        label: "Protections",
    },
    NavItem {
        href: "/buses",
        label: "Buses",
    },
    NavItem {
        href: "/site",
        label: "Site",
    },
];

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Effects run only in the browser, so this turns true once the WASM bundle has hydrated the
    // page; tests (and curious operators) can see it on the `data-hydrated` attribute.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <div class="app" data-hydrated=move || hydrated.get().to_string()>
            <header class="app-header">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">
                        "⚡"
                    </span>
                    <span class="brand-name">"Powerdeck"</span>
                </a>
                <span class="brand-tagline">"Site operator console"</span>
            </header>
            <nav class="app-nav" aria-label="Main">
                <ul>
                    {NAV_ITEMS
                        .iter()
                        .map(|item| view! { <NavLink href=item.href label=item.label /> })
                        .collect_view()}
                </ul>
            </nav>
            <main id="main" class="app-main" tabindex="-1">
                {children()}
            </main>
        </div>
    }
}

/// A navigation link that marks itself as the current page.
#[component]
fn NavLink(href: &'static str, label: &'static str) -> impl IntoView {
    let location = use_location();
    let is_current = move || {
        let path = location.pathname.get();
        if href == "/" {
            path == "/"
        } else {
            path.starts_with(href)
        }
    };
    view! {
        <li>
            <a href=href aria-current=move || is_current().then_some("page")>
                {label}
            </a>
        </li>
    }
}
