//! The error of a change that asks for the password again (deploying protections, writing a
//! device value): the error panel with a password field. Only the screens that make such
//! changes use it, so its code stays out of the other pages' chunks.

use leptos::prelude::*;
use model::error::AppError;

use crate::api::session::ConfirmPassword;
use crate::components::error_view::ErrorPanel;

/// The error, and when it is "password needed", the password field: once confirmed, the
/// operator repeats the action (nothing was changed the first time).
#[component]
pub fn SensitiveChangeError(error: AppError) -> impl IntoView {
    let confirm = matches!(error, AppError::ReauthenticationRequired(_));
    view! {
        <ErrorPanel error />
        {confirm.then(|| view! { <PasswordConfirm /> })}
    }
}

#[component]
fn PasswordConfirm() -> impl IntoView {
    let confirm = ServerAction::<ConfirmPassword>::new();
    let password = RwSignal::new(String::new());
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        confirm.dispatch(ConfirmPassword {
            password: password.get_untracked(),
        });
    };
    view! {
        <form class="password-confirm" on:submit=submit aria-label="Confirm with your password">
            <label class="field">
                <span class="field-label">"Your password"</span>
                <input
                    type="password"
                    autocomplete="current-password"
                    prop:value=password
                    on:input=move |ev| password.set(event_target_value(&ev))
                />
            </label>
            <button type="submit" class="button" disabled=move || confirm.pending().get()>
                "Confirm"
            </button>
            <span class="password-confirm-result" role="status">
                {move || match confirm.value().get() {
                    Some(Ok(())) => "Confirmed for 5 minutes: do it again.".to_string(),
                    Some(Err(error)) => error.plain(),
                    None => String::new(),
                }}
            </span>
        </form>
    }
}
