//! Readable display of an `AppError` or of errors caught by an error boundary.

use leptos::prelude::*;

use model::error::AppError;

/// A calm, readable error panel: a title and the message, announced to screen readers.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <div class="error-panel" role="alert">
            <strong class="error-title">{error.title()}</strong>
            <p class="error-message">{error.to_string()}</p>
        </div>
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
