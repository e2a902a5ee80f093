//! The login page: a plain form posted to `/login` (it works without JavaScript), what went
//! wrong last time, and in demo mode the demo accounts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::auth::{DemoAccount, LoginPageInfo, Role};

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

/// What the login page shows besides the form, as the page carries it: one demo account per
/// line, `name role password` (names, roles and demo passwords have no spaces).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct LoginNote(LoginPageInfo);

impl std::fmt::Display for LoginNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for account in &self.0.demo_accounts {
            writeln!(f, "{} {} {}", account.name, account.role, account.password)?;
        }
        Ok(())
    }
}

impl std::str::FromStr for LoginNote {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let demo_accounts = text
            .lines()
            .map(|line| {
                let mut words = line.split(' ');
                match (
                    words.next(),
                    words.next().and_then(Role::parse),
                    words.next(),
                ) {
                    (Some(name), Some(role), Some(password)) => Ok(DemoAccount {
                        name: name.to_string(),
                        role,
                        password: password.to_string(),
                    }),
                    _ => Err(format!("not a demo account: {line:?}")),
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(LoginNote(LoginPageInfo {
            demo_accounts,
            anonymous_read: false,
        }))
    }
}

/// What the login page shows besides the form: demo mode's accounts.
#[cfg(feature = "ssr")]
fn login_page_info() -> LoginNote {
    LoginNote(
        crate::ssr::state::app_state()
            .map(|state| LoginPageInfo {
                demo_accounts: state.access.demo_accounts.clone(),
                anonymous_read: state.access.anonymous_read,
            })
            .unwrap_or_default(),
    )
}

/// In the browser the value always comes from the page.
#[cfg(not(feature = "ssr"))]
fn login_page_info() -> LoginNote {
    LoginNote::default()
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |key: &str| query.with(|q| q.get(key).unwrap_or_default());
    let error = move || error_message(&param("error"));
    let signed_out = move || param("signed_out") == "1";
    // Sent with the page as text: the login page makes no request of its own, and the main
    // bundle (which holds this page) needs no JSON code for it.
    let info = SharedValue::new_str(login_page_info).into_inner().0;
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
            <DemoAccounts info />
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_accounts_travel_as_text_and_back() {
        let note = LoginNote(LoginPageInfo {
            demo_accounts: vec![DemoAccount {
                name: "engineer".into(),
                role: Role::Engineer,
                password: "engineer-demo-pass".into(),
            }],
            anonymous_read: false,
        });
        assert_eq!(note.to_string(), "engineer engineer engineer-demo-pass\n");
        assert_eq!(note.to_string().parse::<LoginNote>(), Ok(note));
        assert_eq!("".parse::<LoginNote>(), Ok(LoginNote::default()));
    }
}
