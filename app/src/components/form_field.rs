//! A form's labelled input and choice, each with the server's message for its field beside it
//! (the field path the server's validation names).

use leptos::prelude::*;
use model::error::AppError;

/// The error of the last answer, if the last answer was one.
pub type LastError = Signal<Option<AppError>>;

/// The server's message for the input answering for `field`.
fn message_for(error: Option<&AppError>, field: &str) -> Option<String> {
    match error {
        Some(AppError::Validation { field: f, message }) if f == field => Some(message.clone()),
        _ => None,
    }
}

/// A labelled text input; `field` is the name the server's validation gives it, `name` the
/// form's (`form[name]`). A `unit` follows the label and makes the input a number.
#[component]
pub fn Input(
    form: &'static str,
    name: &'static str,
    field: &'static str,
    label: &'static str,
    value: String,
    error: LastError,
    #[prop(optional)] unit: Option<&'static str>,
    #[prop(optional)] required: bool,
    /// The input's type (`password`); text when not given.
    #[prop(optional)]
    kind: Option<&'static str>,
    /// What the browser may fill in (`current-password`, `new-password`); off when not given.
    #[prop(optional)]
    autocomplete: Option<&'static str>,
) -> AnyView {
    let id = format!("{form}-{field}");
    let error_id = format!("{id}-error");
    let message = move || error.with(|e| message_for(e.as_ref(), field));
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>
                {label}
                {unit.map(|u| format!(" ({u})"))}
            </label>
            <input
                id=id
                name=name
                value=value
                required=required
                class:num=unit.is_some()
                type=kind.unwrap_or("text")
                inputmode=unit.map(|_| "decimal")
                autocomplete=autocomplete.unwrap_or("off")
                aria-describedby=error_id.clone()
                aria-invalid=move || message().is_some().to_string()
            />
            <span id=error_id class="field-error" aria-live="polite">
                {message}
            </span>
        </div>
    }
    .into_any()
}

/// A labelled choice among `options` (value, label), `value` selected.
#[component]
pub fn Choice(
    form: &'static str,
    name: &'static str,
    field: &'static str,
    label: &'static str,
    value: String,
    options: Vec<(String, String)>,
    error: LastError,
) -> AnyView {
    let id = format!("{form}-{field}");
    let error_id = format!("{id}-error");
    let message = move || error.with(|e| message_for(e.as_ref(), field));
    view! {
        <div class="field">
            <label class="field-label" for=id.clone()>
                {label}
            </label>
            <select
                id=id
                name=name
                aria-describedby=error_id.clone()
                aria-invalid=move || message().is_some().to_string()
            >
                {options
                    .into_iter()
                    .map(|(v, text)| {
                        let selected = v == value;
                        view! {
                            <option value=v selected=selected>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
            <span id=error_id class="field-error" aria-live="polite">
                {message}
            </span>
        </div>
    }
    .into_any()
}
