//! The account page (`/account`): who is signed in, with which role, and changing one's own
//! password (the current one first; the user's other sessions end).

use leptos::prelude::*;
use leptos_meta::Title;
use model::auth::{ActorKind, Role};
use model::error::AppError;

use crate::api::users::ChangePassword;
use crate::components::access::Me;
use crate::components::error_view::ErrorPanel;
use crate::components::form_field::{Input, LastError};

/// The fields of the password form: their errors show beside them, others in a panel.
const PASSWORD_FIELDS: &[&str] = &["old_password", "new_password", "repeat"];

#[component]
pub fn AccountPage() -> AnyView {
    let me = use_context::<Me>().and_then(|Me(me)| me);
    let who = me.as_ref().map_or_else(
        || "Not signed in".to_string(),
        |me| format!("{} · {}", me.name, me.role.label()),
    );
    let has_password = me.as_ref().is_some_and(|me| me.kind == ActorKind::Session);
    let role = me.as_ref().map(|me| me.role);
    view! {
        <Title text="Your account" />
        <section class="page" aria-labelledby="account-title">
            <header class="page-header">
                <div>
                    <h1 id="account-title">"Your account"</h1>
                    <p class="muted">{who}</p>
                </div>
            </header>
            {role.map(|role| view! { <RoleSummary role /> })}
            {if has_password {
                view! { <PasswordForm /> }.into_any()
            } else {
                view! {
                    <p class="muted">
                        <a href="/login?next=%2Faccount">"Sign in"</a>
                        " to change your password."
                    </p>
                }
                    .into_any()
            }}
        </section>
    }
    .into_any()
}

/// What the role lets its holder do, in a sentence.
#[component]
fn RoleSummary(role: Role) -> impl IntoView {
    let text = match role {
        Role::Viewer => "Viewers read every page.",
        Role::Operator => "Operators read every page, acknowledge alarms and read devices now.",
        Role::Engineer => {
            "Engineers also edit the registry and the site, save and deploy protections and write device values."
        }
        Role::Admin => "Admins can do everything, and manage users and API tokens.",
    };
    view! { <p class="account-role">{text}</p> }
}

#[component]
fn PasswordForm() -> impl IntoView {
    let change = ServerAction::<ChangePassword>::new();
    let error: LastError = Signal::derive(move || change.value().get().and_then(Result::err));
    let changed = move || matches!(change.value().get(), Some(Ok(())));
    let other_error = move || {
        error
            .get()
            .filter(|error| {
                !matches!(error, AppError::Validation { field, .. }
                    if PASSWORD_FIELDS.contains(&field.as_str()))
            })
            .map(|error| view! { <ErrorPanel error /> })
    };
    view! {
        <h2 class="section-title">"Change password"</h2>
        <div class="notice-slot" aria-live="polite">
            <Show when=changed>
                <p class="notice notice-ok" role="status">
                    "Password changed. Any other session of yours was signed out."
                </p>
            </Show>
        </div>
        <ActionForm
            action=change
            attr:class="edit-form password-form"
            attr:aria-label="Change password"
        >
            <Input
                form="password"
                name="old_password"
                field="old_password"
                label="Current password"
                value=String::new()
                error
                required=true
                kind="password"
                autocomplete="current-password"
            />
            <Input
                form="password"
                name="new_password"
                field="new_password"
                label="New password (12 characters or more)"
                value=String::new()
                error
                required=true
                kind="password"
                autocomplete="new-password"
            />
            <Input
                form="password"
                name="repeat"
                field="repeat"
                label="New password again"
                value=String::new()
                error
                required=true
                kind="password"
                autocomplete="new-password"
            />
            <div class="field-wide">{other_error}</div>
            <div class="field-actions field-wide">
                <button type="submit" class="button" disabled=move || change.pending().get()>
                    "Change password"
                </button>
            </div>
        </ActionForm>
    }
}
