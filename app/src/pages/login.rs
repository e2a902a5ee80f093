//! The login page: a plain form posted to `/login` (it works without JavaScript), what went
//! wrong last time, and in demo mode the demo accounts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::auth::LoginPageInfo;

use crate::api::session::get_login_page;

/// What `/login?error=…` means, in the operator's words.
fn error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "credentials" => "Wrong name or password. Repeated failures lock the account for a while.",
        "rate_limited" => "Too many failed logins from this address: wait a few minutes.",
        "cross_site" => {
            "The form was sent from another page than this console's: open the login page again and sign in there."
        }
        "server" => "The server could not sign you in (see its log). Try again.",
        "invalid" => "The form could not be read. Try again.",
        _ => return None,
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let error = move || error_message(&param("error"));
    let signed_out = move || param("signed_out") == "1";
    let info = Resource::new(|| (), |_| get_login_page());
    view! {
        <Title text="Sign in" />
        <section class="page login-page" aria-labelledby="login-title">
            <h1 id="login-title">"Sign in"</h1>
            <p class="muted">"Sign in to operate this site."</p>
            {move || {
                error()
                    .map(|message| {
                        view! {
                            <p class="login-error" role="alert">
                                {message}
                            </p>
                        }
                    })
            }}
            {move || {
                signed_out()
                    .then(|| {
                        view! {
                            <p class="login-notice" role="status">
                                "Signed out."
                            </p>
                        }
                    })
            }}
            <form class="login-form" method="post" action="/login">
                <input type="hidden" name="next" value=move || param("next") />
                <label class="field">
                    <span class="field-label">"Name"</span>
                    <input
                        name="name"
                        autocomplete="username"
                        required
                        autofocus
                        value=move || param("name")
                    />
                </label>
                <label class="field">
                    <span class="field-label">"Password"</span>
                    <input
                        name="password"
                        type="password"
                        autocomplete="current-password"
                        required
                    />
                </label>
                <div class="field-actions">
                    <button type="submit" class="button">
                        "Sign in"
                    </button>
                </div>
            </form>
            <Transition fallback=|| ()>
                {move || {
                    info.get().and_then(Result::ok).map(|info| view! { <DemoAccounts info /> })
                }}
            </Transition>
        </section>
    }
}

/// Demo mode's accounts, one per role.
#[component]
fn DemoAccounts(info: LoginPageInfo) -> impl IntoView {
    if info.demo_accounts.is_empty() {
        return None;
    }
    let rows = info
        .demo_accounts
        .into_iter()
        .map(|account| {
            view! {
                <tr>
                    <td class="mono">{account.name}</td>
                    <td>{account.role.label()}</td>
                    <td class="mono">{account.password}</td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <aside class="login-demo" aria-labelledby="demo-accounts-title">
            <h2 id="demo-accounts-title">"Demo mode"</h2>
            <p class="muted">
                "This console runs on simulated devices. Sign in with one of these accounts, one per role:"
            </p>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"Password"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </aside>
    })
}
