//! What the Site page's forms share: an input (or a choice) with its label and the server's
//! message for its field beside it, the errors that belong to no input (a conflict said
//! plainly, with a way to see the current values), the Save / Cancel row, and the forms of the
//! arrays (new, rename), which differ only in their kind.

use leptos::prelude::*;

use super::SiteCtx;
use crate::api::site::{CreateSiteArray, RenameSiteArray};
use crate::components::error_view::ErrorPanel;
use model::error::AppError;
use model::site::tree::EntityKind;

pub(super) use crate::components::form_field::{Choice, Input, LastError};

/// What went wrong that no input shows: a conflict (someone saved first), a rule about a field
/// the form does not have, or anything else.
#[component]
pub(super) fn FormErrors(
    error: LastError,
    fields: &'static [&'static str],
    what: String,
    ctx: SiteCtx,
) -> impl IntoView {
    move || match error.get() {
        Some(AppError::Conflict(message)) => Some(
            view! {
                <div class="conflict-panel field-wide" role="alert">
                    <strong>
                        {format!("Someone else changed this {what} since you opened the form.")}
                    </strong>
                    <p class="muted">{message}</p>
                    <button
                        type="button"
                        class="button button-secondary"
                        on:click=move |_| ctx.reload.run(())
                    >
                        "Show the current values"
                    </button>
                </div>
            }
            .into_any(),
        ),
        Some(AppError::Validation { field, .. }) if fields.contains(&field.as_str()) => None,
        Some(error) => Some(
            view! {
                <div class="field-wide">
                    <ErrorPanel error />
                </div>
            }
            .into_any(),
        ),
        None => None,
    }
}

/// Save and Cancel (a link: it closes the form without JavaScript too).
#[component]
pub(super) fn FormButtons(label: &'static str, pending: Signal<bool>, ctx: SiteCtx) -> AnyView {
    view! {
        <div class="field-actions field-wide">
            <button type="submit" class="button" disabled=move || pending.get()>
                {label}
            </button>
            <a class="button button-secondary" href=ctx.close_href()>
                "Cancel"
            </a>
        </div>
    }
    .into_any()
}

/// After a successful answer of `action`, reads the tree again and closes the form.
pub(super) fn close_on_success<T: 'static>(
    value: impl With<Value = Option<Result<T, AppError>>> + 'static,
    ctx: SiteCtx,
) {
    Effect::new(move |_| {
        if value.with(|v| matches!(v, Some(Ok(_)))) {
            ctx.done.run(());
        }
    });
}

const ARRAY_FIELDS: &[&str] = &["id", "name"];

/// A new inverter array or battery array of the system.
#[component]
pub(super) fn NewArrayForm(kind: EntityKind, ctx: SiteCtx) -> AnyView {
    let create = ServerAction::<CreateSiteArray>::new();
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    close_on_success(create.value(), ctx);
    let form = if kind == EntityKind::InverterArray {
        "new-inverter-array"
    } else {
        "new-battery-array"
    };
    view! {
        <ActionForm
            action=create
            attr:class="edit-form edit-panel"
            attr:aria-label=format!("New {kind}")
        >
            <input type="hidden" name="kind" value=kind.as_str() />
            <input type="hidden" name="system_id" value=ctx.system.get_value() />
            <Input form name="id" field="id" label="Id" value=String::new() error required=true />
            <Input
                form
                name="name"
                field="name"
                label="Name"
                value=String::new()
                error
                required=true
            />
            <FormErrors error fields=ARRAY_FIELDS what=kind.label().to_string() ctx />
            <FormButtons label="Create" pending=create.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}

/// Renames an inverter array or battery array at the version it was read at.
#[component]
pub(super) fn RenameArrayForm(
    kind: EntityKind,
    id: String,
    name: String,
    version: i64,
    ctx: SiteCtx,
) -> AnyView {
    let rename = ServerAction::<RenameSiteArray>::new();
    let error = Signal::derive(move || rename.value().get().and_then(Result::err));
    close_on_success(rename.value(), ctx);
    let label = format!("Edit {kind} {id}");
    view! {
        <ActionForm action=rename attr:class="edit-form edit-panel" attr:aria-label=label>
            <input type="hidden" name="kind" value=kind.as_str() />
            <input type="hidden" name="id" value=id />
            <input type="hidden" name="expected_version" value=version.to_string() />
            <Input
                form="rename-array"
                name="name"
                field="name"
                label="Name"
                value=name
                error
                required=true
            />
            <FormErrors error fields=ARRAY_FIELDS what=kind.label().to_string() ctx />
            <FormButtons label="Save" pending=rename.pending().into() ctx />
        </ActionForm>
    }
    .into_any()
}
