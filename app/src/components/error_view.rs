//! Readable display of an `AppError` or of errors caught by an error boundary.

use leptos::prelude::*;

use model::error::AppError;

use crate::api::session::ConfirmPassword;

/// A calm, readable error panel: a title and the message, announced to screen readers. When the
/// change needs the password again, the panel asks for it.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    let confirm = matches!(error, AppError::ReauthenticationRequired(_));
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-title">{error.title()}</strong>
            <p class="error-message">{error.to_string()}</p>
            {confirm.then(|| view! { <PasswordConfirm /> })}
        </div>
    }
}

/// The password asked again before deploying or writing a device: once confirmed, the operator
/// repeats the action (nothing was changed the first time).
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
        <form class="password-confirm" on:submit=submit>
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

/// Fallback for `<ErrorBoundary>`: lists every error caught below it.
pub fn error_boundary_fallback(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-title">"Something went wrong"</strong>
            <ul class="error-list">
                {move || {
                    errors
                        .get()
                        .into_iter()
                        .map(|(_, error)| view! { <li>{error.to_string()}</li> })
                        .collect_view()
                }}
            </ul>
        </div>
    }
}
