//! The Users page (`/users`, admins): who may sign in with which role, and the API tokens that
//! scripts and other controllers use. Creating, changing a role, disabling, unlocking, setting a
//! password, creating and revoking tokens; each is in the audit log. Destructive changes
//! (disabling, revoking) open a confirmation that says what follows before anything is sent.

use leptos::prelude::*;
use leptos_meta::Title;
use model::auth::{CreatedToken, Role, TokenView, UserView};
use model::error::AppError;
use model::system::short_timestamp;

use crate::api::users::{
    CreateApiToken, CreateUser, RevokeApiToken, UpdateUser, UsersAndTokens, list_users_and_tokens,
};
use crate::components::error_view::ErrorPanel;
use crate::components::form_field::{Choice, Input, LastError};

/// The roles as the forms offer them, least first.
fn role_options() -> Vec<(String, String)> {
    Role::ALL
        .iter()
        .map(|role| (role.as_str().to_string(), role.label().to_string()))
        .collect()
}

/// `YYYY-MM-DD` of an RFC 3339 time.
fn day(at: &str) -> String {
    at.get(0..10).unwrap_or(at).to_string()
}

/// `YYYY-MM-DD HH:MM` (UTC), or a dash.
fn minute(at: Option<&String>) -> String {
    at.map_or_else(
        || "—".to_string(),
        |at| at.get(0..16).unwrap_or(at).replace('T', " "),
    )
}

/// After any successful change: read the lists again.
#[derive(Clone, Copy)]
struct Reload(RwSignal<u32>);

impl Reload {
    /// Reads the lists again each time `succeeded` turns true (an action's last answer was a
    /// success).
    fn when(self, succeeded: impl Fn() -> bool + Send + Sync + 'static) {
        let Reload(version) = self;
        Effect::new(move |_| {
            if succeeded() {
                version.update(|v| *v += 1);
            }
        });
    }
}

#[component]
pub fn UsersPage() -> AnyView {
    let version = RwSignal::new(0_u32);
    let lists = Resource::new(move || version.get(), |_| list_users_and_tokens());
    let reload = Reload(version);
    // The forms stay outside the lists' Transition: reading the lists again after a creation
    // must not re-create the form that shows the new token's secret.
    view! {
        <Title text="Users" />
        <section class="page page-wide" aria-labelledby="users-title">
            <header class="page-header">
                <div>
                    <h1 id="users-title">"Users and API tokens"</h1>
                    <p class="muted">
                        "Who may sign in and with which role; the tokens scripts and other controllers use. Every change is in the "
                        <a href="/audit">"audit log"</a> "."
                    </p>
                </div>
            </header>
            <h2 class="section-title">"Users"</h2>
            <Transition fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match lists.await {
                        Ok(UsersAndTokens { users, .. }) => {
                            view! { <UsersTable users reload /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <NewUserForm reload />
            <h2 class="section-title">"API tokens"</h2>
            <NewTokenForm reload />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match lists.await {
                        Ok(UsersAndTokens { tokens, .. }) => {
                            view! { <TokensTable tokens reload /> }.into_any()
                        }
                        Err(_) => ().into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// A user's state in a word, with its colour.
fn user_state(user: &UserView) -> (&'static str, String) {
    if user.disabled {
        ("badge badge-bad", "disabled".to_string())
    } else if let Some(until) = &user.locked_until {
        (
            "badge badge-warn",
            format!("locked until {}", short_timestamp(until)),
        )
    } else {
        ("badge badge-good", "active".to_string())
    }
}

#[component]
fn UsersTable(users: Vec<UserView>, reload: Reload) -> impl IntoView {
    let rows = users
        .into_iter()
        .map(|user| view! { <UserRow user reload /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table users-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Last sign-in (UTC)"</th>
                        <th scope="col">"Password set (UTC)"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

#[component]
fn UserRow(user: UserView, reload: Reload) -> impl IntoView {
    let update = ServerAction::<UpdateUser>::new();
    reload.when(move || update.value().with(|value| matches!(value, Some(Ok(_)))));
    let (state_class, state_text) = user_state(&user);
    // Copy: every form of the row needs the name.
    let name = StoredValue::new(user.name.clone());
    let label = format!("Role of {}", user.name);
    let form_label = label.clone();
    let locked = user.locked_until.is_some();
    let disabled = user.disabled;
    let error = move || {
        update
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorPanel error /> })
    };
    let role_id = format!("role-of-{}", user.name);
    view! {
        <tr>
            <td class="users-name">{user.name.clone()}</td>
            <td>
                <ActionForm action=update attr:class="inline-form" attr:aria-label=form_label>
                    <input type="hidden" name="name" value=name.get_value() />
                    <label class="visually-hidden" for=role_id.clone()>
                        {label}
                    </label>
                    <select id=role_id name="role">
                        {role_options()
                            .into_iter()
                            .map(|(value, label)| {
                                let selected = value == user.role.as_str();
                                view! {
                                    <option value=value selected=selected>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                    <button type="submit" class="button button-secondary button-small">
                        "Set role"
                    </button>
                </ActionForm>
            </td>
            <td>
                <span class=state_class>{state_text}</span>
            </td>
            <td class="mono nowrap">{minute(user.last_login_at.as_ref())}</td>
            <td class="mono nowrap">{minute(Some(&user.password_changed_at))}</td>
            <td class="users-actions">
                {locked
                    .then(|| {
                        view! {
                            <ActionForm action=update attr:class="inline-form">
                                <input type="hidden" name="name" value=name.get_value() />
                                <input type="hidden" name="unlock" value="true" />
                                <button type="submit" class="button button-secondary button-small">
                                    "Unlock"
                                </button>
                            </ActionForm>
                        }
                    })}
                {if disabled {
                    view! {
                        <ActionForm action=update attr:class="inline-form">
                            <input type="hidden" name="name" value=name.get_value() />
                            <input type="hidden" name="disabled" value="false" />
                            <button type="submit" class="button button-secondary button-small">
                                "Enable"
                            </button>
                        </ActionForm>
                    }
                        .into_any()
                } else {
                    view! {
                        <details class="confirm-inline">
                            <summary class="button button-secondary button-small">
                                "Disable…"
                            </summary>
                            <ActionForm action=update attr:class="confirm-inline-body">
                                <input type="hidden" name="name" value=name.get_value() />
                                <input type="hidden" name="disabled" value="true" />
                                <p>
                                    {format!(
                                        "{} will not be able to sign in, and their open sessions end now.",
                                        name.get_value(),
                                    )}
                                </p>
                                <button type="submit" class="button button-danger button-small">
                                    {format!("Disable {}", name.get_value())}
                                </button>
                            </ActionForm>
                        </details>
                    }
                        .into_any()
                }} <details class="confirm-inline">
                    <summary class="button button-secondary button-small">
                        "Set password…"
                    </summary>
                    <ActionForm action=update attr:class="confirm-inline-body">
                        <input type="hidden" name="name" value=name.get_value() />
                        <label class="field">
                            <span class="field-label">"New password (12 characters or more)"</span>
                            <input
                                type="password"
                                name="new_password"
                                autocomplete="new-password"
                                required
                            />
                        </label>
                        <p class="muted">{format!("{}'s open sessions end.", name.get_value())}</p>
                        <button type="submit" class="button button-small">
                            "Set password"
                        </button>
                    </ActionForm>
                </details> {error}
            </td>
        </tr>
    }
}

/// The fields of the new-user form.
const USER_FIELDS: &[&str] = &["name", "password"];

#[component]
fn NewUserForm(reload: Reload) -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    reload.when(move || create.value().with(|value| matches!(value, Some(Ok(_)))));
    let error: LastError = Signal::derive(move || create.value().get().and_then(Result::err));
    view! {
        <details class="create-panel">
            <summary class="button button-secondary">"New user…"</summary>
            <ActionForm action=create attr:class="edit-form edit-panel" attr:aria-label="New user">
                <Input
                    form="new-user"
                    name="name"
                    field="name"
                    label="Name"
                    value=String::new()
                    error
                    required=true
                />
                <Choice
                    form="new-user"
                    name="role"
                    field="role"
                    label="Role"
                    value="viewer".to_string()
                    options=role_options()
                    error
                />
                <Input
                    form="new-user"
                    name="password"
                    field="password"
                    label="Password (12 characters or more)"
                    value=String::new()
                    error
                    required=true
                    kind="password"
                    autocomplete="new-password"
                />
                <OtherError error fields=USER_FIELDS />
                <div class="field-actions field-wide">
                    <button type="submit" class="button" disabled=move || create.pending().get()>
                        "Create user"
                    </button>
                </div>
            </ActionForm>
        </details>
    }
}

/// An error that belongs to none of the form's inputs.
#[component]
fn OtherError(error: LastError, fields: &'static [&'static str]) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|error| {
                !matches!(error, AppError::Validation { field, .. }
                    if fields.contains(&field.as_str()))
            })
            .map(|error| {
                view! {
                    <div class="field-wide">
                        <ErrorPanel error />
                    </div>
                }
            })
    }
}

/// The fields of the new-token form.
const TOKEN_FIELDS: &[&str] = &["name", "expires_days"];

#[component]
fn NewTokenForm(reload: Reload) -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    reload.when(move || create.value().with(|value| matches!(value, Some(Ok(_)))));
    let error: LastError = Signal::derive(move || create.value().get().and_then(Result::err));
    let created = move || create.value().get().and_then(Result::ok);
    view! {
        <div class="notice-slot" aria-live="polite">
            {move || created().map(|created| view! { <NewSecret created /> })}
        </div>
        <details class="create-panel">
            <summary class="button button-secondary">"New token…"</summary>
            <ActionForm
                action=create
                attr:class="edit-form edit-panel"
                attr:aria-label="New API token"
            >
                <Input
                    form="new-token"
                    name="name"
                    field="name"
                    label="Name (who or what uses it)"
                    value=String::new()
                    error
                    required=true
                />
                <Choice
                    form="new-token"
                    name="role"
                    field="role"
                    label="Role"
                    value="viewer".to_string()
                    options=role_options()
                    error
                />
                <Input
                    form="new-token"
                    name="expires_days"
                    field="expires_days"
                    label="Expires after"
                    unit="days"
                    value=String::new()
                    error
                />
                <div class="field field-check">
                    <span class="field-label">"May also"</span>
                    <label>
                        <input type="checkbox" name="allow_deploy" />
                        "deploy protections"
                    </label>
                    <label>
                        <input type="checkbox" name="allow_device_writes" />
                        "write device values"
                    </label>
                </div>
                <OtherError error fields=TOKEN_FIELDS />
                <div class="field-actions field-wide">
                    <button type="submit" class="button" disabled=move || create.pending().get()>
                        "Create token"
                    </button>
                    <span class="muted">
                        "Leave the expiry empty for a token that never expires. The scopes count only where the role allows them."
                    </span>
                </div>
            </ActionForm>
        </details>
    }
}

/// A token's secret, the one time it is shown.
#[component]
fn NewSecret(created: CreatedToken) -> impl IntoView {
    view! {
        <div class="notice notice-ok token-secret" role="status">
            <p>
                <strong>{format!("Token {} created.", created.token.name)}</strong>
                " Copy its secret now: it is not shown again."
            </p>
            <code class="mono token-secret-value">{created.secret}</code>
        </div>
    }
}

/// A token's state in a word, with its colour; when it was revoked goes in the title.
fn token_state(token: &TokenView) -> (&'static str, String, Option<String>) {
    match &token.revoked_at {
        Some(at) => (
            "badge badge-bad",
            "revoked".to_string(),
            Some(format!("revoked {}", short_timestamp(at))),
        ),
        None => ("badge badge-good", "active".to_string(), None),
    }
}

fn scopes_text(token: &TokenView) -> String {
    let mut scopes = Vec::new();
    if token.scopes.allow_deploy {
        scopes.push("deploy");
    }
    if token.scopes.allow_device_writes {
        scopes.push("device writes");
    }
    if scopes.is_empty() {
        "—".to_string()
    } else {
        scopes.join(", ")
    }
}

#[component]
fn TokensTable(tokens: Vec<TokenView>, reload: Reload) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted">"No API tokens yet."</p> }.into_any();
    }
    let rows = tokens
        .into_iter()
        .map(|token| view! { <TokenRow token reload /> })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data-table tokens-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Role"</th>
                        <th scope="col">"May also"</th>
                        <th scope="col">"Secret"</th>
                        <th scope="col">"Created (UTC)"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used (UTC)"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Actions"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn TokenRow(token: TokenView, reload: Reload) -> impl IntoView {
    let revoke = ServerAction::<RevokeApiToken>::new();
    reload.when(move || revoke.value().with(|value| matches!(value, Some(Ok(_)))));
    let (state_class, state_text, state_title) = token_state(&token);
    let name = StoredValue::new(token.name.clone());
    let error = move || {
        revoke
            .value()
            .get()
            .and_then(Result::err)
            .map(|error| view! { <ErrorPanel error /> })
    };
    let revoked = token.revoked_at.is_some();
    view! {
        <tr>
            <td>{token.name.clone()}</td>
            <td>{token.role.label()}</td>
            <td>{scopes_text(&token)}</td>
            <td class="mono">{format!("{}…", token.prefix)}</td>
            <td class="nowrap">
                <span class="mono">{day(&token.created_at)}</span>
                {format!(" by {}", token.created_by)}
            </td>
            <td class="mono nowrap">
                {token.expires_at.as_ref().map_or_else(|| "never".to_string(), |at| day(at))}
            </td>
            <td class="mono nowrap">{minute(token.last_used_at.as_ref())}</td>
            <td>
                <span class=state_class title=state_title>
                    {state_text}
                </span>
            </td>
            <td class="users-actions">
                {(!revoked)
                    .then(|| {
                        view! {
                            <details class="confirm-inline">
                                <summary class="button button-secondary button-small">
                                    "Revoke…"
                                </summary>
                                <ActionForm action=revoke attr:class="confirm-inline-body">
                                    <input type="hidden" name="name" value=name.get_value() />
                                    <p>
                                        {format!(
                                            "Every script or controller that uses {} is refused from now on. A revoked token cannot be restored.",
                                            name.get_value(),
                                        )}
                                    </p>
                                    <button type="submit" class="button button-danger button-small">
                                        {format!("Revoke {}", name.get_value())}
                                    </button>
                                </ActionForm>
                            </details>
                        }
                    })} {error}
            </td>
        </tr>
    }
}
