//! A save that lost to someone else's: what changed meanwhile, what "Overwrite with mine" would
//! save (my changes merged onto the current state), and the choice between reload and overwrite.

use leptos::prelude::*;

use super::metadata::MetadataSignals;
use crate::api::registry::{UpdateVariableMetadata, VariableDetail};
use crate::components::error_view::ErrorPanel;
use model::error::AppError;
use model::registry::{MergedMetadata, MetadataForm, merge_mine};

/// What "Overwrite with mine" would save: my changes merged onto the current state.
#[derive(Clone, PartialEq)]
pub(super) struct Overwrite {
    /// The current variable version, expected by the save.
    version: i64,
    /// The current state (theirs).
    theirs: MetadataForm,
    merged: MergedMetadata,
}

/// Once the current state is read after a conflict: what "Overwrite with mine" would save.
pub(super) fn pending_overwrite_of(
    latest: Action<String, Result<VariableDetail, AppError>>,
    base: RwSignal<MetadataForm>,
    fields: MetadataSignals,
) -> Signal<Option<Overwrite>> {
    Signal::derive(move || match latest.value().get() {
        Some(Ok(now)) => {
            let theirs = MetadataForm::of(&now.variable);
            let merged = merge_mine(&base.get(), &fields.get(), &theirs);
            let version = now.variable.variable_version;
            Some(Overwrite {
                version,
                theirs,
                merged,
            })
        }
        _ => None,
    })
}

/// On a conflict, reads what changed meanwhile (into `latest`).
pub(super) fn read_latest_on_conflict(
    save: ServerAction<UpdateVariableMetadata>,
    latest: Action<String, Result<VariableDetail, AppError>>,
    name: String,
) {
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Err(AppError::Conflict(_)))) {
            latest.dispatch(name.clone());
        }
    });
}

/// "Overwrite with mine": saves my changes (base → form) onto theirs at their version; the form
/// then stands on theirs, so a later save or conflict merges against it.
pub(super) fn overwrite_with_mine(
    save: ServerAction<UpdateVariableMetadata>,
    name: String,
    expected: RwSignal<i64>,
    base: RwSignal<MetadataForm>,
    fields: MetadataSignals,
    pending_overwrite: Signal<Option<Overwrite>>,
) -> Callback<()> {
    Callback::new(move |()| {
        let Some(Overwrite {
            version,
            theirs,
            merged,
        }) = pending_overwrite.get_untracked()
        else {
            return;
        };
        expected.set(version);
        base.set(theirs);
        fields.set(merged.form.clone());
        save.dispatch(UpdateVariableMetadata {
            name: name.clone(),
            expected_version: version,
            display_name: merged.form.display_name,
            units: merged.form.units,
            description: merged.form.description,
            category: merged.form.category,
            locator: merged.form.locator,
        });
    })
}

/// What went wrong with the last save: the conflict panel, or any other error.
#[component]
pub(super) fn SaveErrors(
    save: ServerAction<UpdateVariableMetadata>,
    expected: RwSignal<i64>,
    latest: Action<String, Result<VariableDetail, AppError>>,
    pending_overwrite: Signal<Option<Overwrite>>,
    reload: Callback<()>,
    overwrite: Callback<()>,
) -> impl IntoView {
    let conflict = move || match save.value().get() {
        Some(Err(AppError::Conflict(message))) => Some(
            view! { <ConflictPanel message since=expected.get() latest pending_overwrite reload overwrite /> },
        ),
        _ => None,
    };
    let other_error = move || match save.value().get() {
        Some(Err(error)) if !matches!(error, AppError::Conflict(_)) => {
            Some(view! { <ErrorPanel error /> })
        }
        _ => None,
    };
    view! {
        {conflict}
        {other_error}
    }
}

/// Shown when someone else saved first: what changed meanwhile, what an overwrite would change,
/// and the choice between reloading and overwriting.
#[component]
fn ConflictPanel(
    message: String,
    since: i64,
    latest: Action<String, Result<VariableDetail, AppError>>,
    pending_overwrite: Signal<Option<Overwrite>>,
    reload: Callback<()>,
    overwrite: Callback<()>,
) -> AnyView {
    view! {
        <div class="conflict-panel" role="alert">
            <strong>"Someone else saved this variable since you opened the form."</strong>
            <p class="muted">{message}</p>
            <p>"Changed meanwhile:"</p>
            <ul>{move || changed_meanwhile(latest.value().get(), since)}</ul>
            <OverwritePreview pending_overwrite />
            <div class="field-actions">
                <button
                    type="button"
                    class="button button-secondary"
                    on:click=move |_| reload.run(())
                >
                    "Reload (discard my changes)"
                </button>
                <button
                    type="button"
                    class="button"
                    disabled=move || pending_overwrite.with(Option::is_none)
                    on:click=move |_| overwrite.run(())
                >
                    "Overwrite with mine"
                </button>
            </div>
        </div>
    }
    .into_any()
}

/// The history entries after `since`, as list items (or a note while they are being read).
fn changed_meanwhile(latest: Option<Result<VariableDetail, AppError>>, since: i64) -> AnyView {
    let Some(Ok(now)) = latest else {
        return view! { <li class="muted">"Reading the current state…"</li> }.into_any();
    };
    now.history
        .into_iter()
        .filter(|h| h.variable_version > since)
        .map(|h| view! {
            <li>
                <span class="mono">{h.field_name.clone().unwrap_or_default()}</span>
                {format!(
                    ": {} → {} ",
                    h.old_value.clone().unwrap_or_default(),
                    h.new_value.clone().unwrap_or_default(),
                )}
                <span class="muted">{format!("by {} via {}", h.changed_by, h.source_system)}</span>
            </li>
        })
        .collect_view()
        .into_any()
}

/// What "Overwrite with mine" would change on the current state, field by field (theirs → result).
#[component]
fn OverwritePreview(pending_overwrite: Signal<Option<Overwrite>>) -> impl IntoView {
    move || {
        pending_overwrite.get().map(|pending| {
            let changes = pending.merged.changes;
            if changes.is_empty() {
                return view! {
                    <p class="overwrite-preview muted" data-testid="overwrite-preview">
                        "Overwrite with mine changes nothing: the current state already has your changes."
                    </p>
                }
                .into_any();
            }
            view! {
                <div class="overwrite-preview" data-testid="overwrite-preview">
                    <p>"Overwrite with mine will change (current → saved):"</p>
                    <ul class="diff">
                        {changes
                            .into_iter()
                            .map(|c| {
                                view! {
                                    <li>
                                        <span class="mono">{c.field}</span>
                                        ": "
                                        <del>{c.old.unwrap_or_default()}</del>
                                        " → "
                                        <ins>{c.new.unwrap_or_default()}</ins>
                                    </li>
                                }
                            })
                            .collect_view()}
                    </ul>
                </div>
            }
            .into_any()
        })
    }
}
