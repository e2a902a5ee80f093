//! The frame around every page: skip link, header with the product name, navigation, main area.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use model::auth::{ActorKind, Permission};

use crate::components::access::{IfAllowed, Me, provide_me};

/// One entry of the main navigation. Later screens add themselves here.
struct NavItem {
    href: &'static str,
    label: &'static str,
    /// Shown only to those who may (every page needs `read`; the Audit page more).
    needs: Permission,
}

const NAV_ITEMS: &[NavItem] = &[
    NavItem {
        href: "/",
        label: "Overview",
        needs: Permission::Read,
    },
    NavItem {
        href: "/registry",
        label: "Registry",
        needs: Permission::Read,
    },
    NavItem {
        href: "/protections",
        label: "Protections",
        needs: Permission::Read,
    },
    NavItem {
        href: "/buses",
        label: "Buses",
        needs: Permission::Read,
    },
    NavItem {
        href: "/site",
        label: "Site",
        needs: Permission::Read,
    },
    NavItem {
        href: "/audit",
        label: "Audit",
        needs: Permission::ReadAudit,
    },
];

#[component]
pub fn Layout(children: Children) -> AnyView {
    // Effects run only in the browser, so this turns true once the WASM bundle has hydrated the
    // page; tests (and curious operators) can see it on the `data-hydrated` attribute.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    // Who is signed in, for the header and for every page's actions.
    let me = provide_me();
    let location = use_location();
    let on_login_page = move || location.pathname.with(|path| path == "/login");
    view! {
        <a class="skip-link" href="#main">
            "Skip to content"
        </a>
        <div
            class="app"
            class:app-bare=on_login_page
            data-hydrated=move || hydrated.get().to_string()
        >
            <header class="app-header">
                <a class="brand" href="/">
                    <span class="brand-mark" aria-hidden="true">
                        "⚡"
                    </span>
                    <span class="brand-name">"Powerdeck"</span>
                </a>
                <span class="brand-tagline">"Site operator console"</span>
                <Show when=move || !on_login_page()>
                    <SignedInAs me=me.clone() />
                </Show>
            </header>
            <Show when=move || !on_login_page()>
                <nav class="app-nav" aria-label="Main">
                    <ul>
                        {NAV_ITEMS
                            .iter()
                            .map(|item| {
                                if item.needs == Permission::Read {
                                    view! { <NavLink href=item.href label=item.label /> }.into_any()
                                } else {
                                    view! {
                                        <IfAllowed permission=item.needs>
                                            <NavLink href=item.href label=item.label />
                                        </IfAllowed>
                                    }
                                        .into_any()
                                }
                            })
                            .collect_view()}
                    </ul>
                </nav>
            </Show>
            <main id="main" class="app-main" tabindex="-1">
                {children()}
            </main>
        </div>
    }
    .into_any()
}

/// Who is signed in, with the sign-out button (a form: it works without JavaScript); "Sign in"
/// for the anonymous reader of a site open for reading.
#[component]
fn SignedInAs(me: Me) -> AnyView {
    match me.0 {
        Some(me) if me.kind != ActorKind::Anonymous => view! {
            <form class="signed-in" method="post" action="/logout">
                <span class="signed-in-name">{me.name}</span>
                <span class="signed-in-role">{me.role.label()}</span>
                <button type="submit" class="button button-secondary">
                    "Sign out"
                </button>
            </form>
        }
        .into_any(),
        Some(_) => view! {
            <a class="signed-in button button-secondary" href="/login">
                "Sign in"
            </a>
        }
        .into_any(),
        None => ().into_any(),
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
