//! The frame around every page: skip link, header with the product name, navigation, main area.

use leptos::prelude::*;
use leptos_router::hooks::use_location;
use model::auth::{ActorKind, Permission};
use model::protections::{AlarmCounts, Level};

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
        href: "/alarms",
        label: "Alarms",
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
    NavItem {
        href: "/users",
        label: "Users",
        needs: Permission::ManageUsers,
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
                <a class="brand" href="/" aria-label="Powerdeck: overview">
                    <span class="brand-mark" aria-hidden="true">
                        "⚡"
                    </span>
                    <span class="brand-name">"Powerdeck"</span>
                </a>
                <span class="brand-tagline">"Site operator console"</span>
                <Show when=move || !on_login_page()>
                    <AlarmIndicator />
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
                <a class="signed-in-name" href="/account" title="Your account">
                    {me.name}
                </a>
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

/// The header's alarm indicator on every page: the raised levels by severity in the colour of
/// the worst, linking to the Alarms page. The server renders it with the page (JavaScript off
/// too); once hydrated it follows `/api/v1/alarms/stream`. The counts travel as text, so the
/// main bundle carries no JSON code for them.
#[component]
fn AlarmIndicator() -> impl IntoView {
    let initial = SharedValue::new_str(alarm_counts_now).into_inner();
    let counts = RwSignal::new(initial);
    follow_alarms(counts);
    let class = move || match counts.get().worst() {
        Some(Level::Fault) => "alarm-indicator alarm-fault",
        Some(Level::Alert) => "alarm-indicator alarm-alert",
        Some(Level::Warning) => "alarm-indicator alarm-warning",
        None => "alarm-indicator alarm-none",
    };
    let unacknowledged = move || {
        let n = counts.get().unacknowledged;
        (n > 0).then(|| format!(" · {n} unacknowledged"))
    };
    view! {
        <a
            class=class
            href="/alarms"
            data-testid="alarm-indicator"
            title="Alarms: open the list"
            aria-live="polite"
        >
            <span class="alarm-dot" aria-hidden="true"></span>
            <span>{move || counts.get().in_words()}</span>
            <span class="alarm-unacknowledged">{unacknowledged}</span>
        </a>
    }
}

/// The counts now, on the server (the alarm engine's states).
#[cfg(feature = "ssr")]
fn alarm_counts_now() -> AlarmCounts {
    crate::ssr::state::app_state()
        .map(|state| state.protections.counts())
        .unwrap_or_default()
}

/// In the browser the counts come with the page.
#[cfg(not(feature = "ssr"))]
fn alarm_counts_now() -> AlarmCounts {
    AlarmCounts::default()
}

/// Keeps `counts` current from the alarm stream once hydrated (effects do not run on the
/// server). The layout lives as long as the page, and so does the stream.
fn follow_alarms(counts: RwSignal<AlarmCounts>) {
    Effect::new(move |_| browser::follow_alarms(counts));
}

#[cfg(feature = "hydrate")]
mod browser {
    use leptos::prelude::*;
    use leptos::wasm_bindgen::JsCast;
    use leptos::wasm_bindgen::closure::Closure;
    use model::protections::AlarmCounts;

    pub(super) fn follow_alarms(counts: RwSignal<AlarmCounts>) {
        let Ok(source) = web_sys::EventSource::new("/api/v1/alarms/stream") else {
            return;
        };
        let on_alarms = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
            move |event: web_sys::MessageEvent| {
                if let Some(text) = event.data().as_string()
                    && let Ok(now) = text.parse::<AlarmCounts>()
                {
                    counts.set(now);
                }
            },
        );
        let _ =
            source.add_event_listener_with_callback("alarms", on_alarms.as_ref().unchecked_ref());
        // The listener lives as long as the page (the browser keeps the source open and
        // reconnects it by itself).
        on_alarms.forget();
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use leptos::prelude::RwSignal;
    use model::protections::AlarmCounts;

    pub(super) fn follow_alarms(_counts: RwSignal<AlarmCounts>) {}
}
