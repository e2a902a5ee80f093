//! The metadata form of the variable page (inputs validated as you type, diff preview, Save at
//! the version it was opened at) and the Delete panel.

use leptos::prelude::*;

use super::conflict::{
    SaveErrors, overwrite_with_mine, pending_overwrite_of, read_latest_on_conflict,
};
use crate::api::registry::{DeleteVariable, UpdateVariableMetadata, get_variable_detail};
use model::registry::{Category, MetadataForm, Variable, validate_form_locator};

/// The five inputs of the metadata form, as signals.
#[derive(Clone, Copy)]
pub(super) struct MetadataSignals {
    display_name: RwSignal<String>,
    units: RwSignal<String>,
    description: RwSignal<String>,
    category: RwSignal<String>,
    locator: RwSignal<String>,
}

impl MetadataSignals {
    fn new(form: MetadataForm) -> Self {
        MetadataSignals {
            display_name: RwSignal::new(form.display_name),
            units: RwSignal::new(form.units),
            description: RwSignal::new(form.description),
            category: RwSignal::new(form.category),
            locator: RwSignal::new(form.locator),
        }
    }

    /// The form as it is now (tracked).
    pub(super) fn get(&self) -> MetadataForm {
        MetadataForm {
            display_name: self.display_name.get(),
            units: self.units.get(),
            description: self.description.get(),
            category: self.category.get(),
            locator: self.locator.get(),
        }
    }

    pub(super) fn set(&self, form: MetadataForm) {
        self.display_name.set(form.display_name);
        self.units.set(form.units);
        self.description.set(form.description);
        self.category.set(form.category);
        self.locator.set(form.locator);
    }

    fn display_error(&self) -> Option<&'static str> {
        self.display_name
            .with(|d| d.trim().is_empty())
            .then_some("must not be blank")
    }

    fn locator_error(&self) -> Option<String> {
        // Empty is no locator.
        self.locator.with(|l| validate_form_locator(l).err())
    }
}

/// The metadata form: validates as you type, previews the change as a diff, saves with the
/// version it was opened at, and on a conflict shows what changed meanwhile with the choice to
/// reload or overwrite (only the fields changed here, merged onto the current state).
#[component]
pub(super) fn EditPanel(variable: Variable, reload: Callback<()>) -> AnyView {
    let save = ServerAction::<UpdateVariableMetadata>::new();
    let delete = ServerAction::<DeleteVariable>::new();
    let latest = Action::new(|name: &String| get_variable_detail(name.clone()));
    let name = variable.name.clone();
    let expected = RwSignal::new(variable.variable_version);
    // What the form was opened with: the base of the three-way merge on overwrite.
    let base = RwSignal::new(MetadataForm::of(&variable));
    let fields = MetadataSignals::new(MetadataForm::of(&variable));

    // After a successful save or delete, show the variable as it is now.
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) || matches!(delete.value().get(), Some(Ok(_)))
        {
            reload.run(());
        }
    });
    read_latest_on_conflict(save, latest, name.clone());
    let pending_overwrite = pending_overwrite_of(latest, base, fields);
    let overwrite = overwrite_with_mine(
        save,
        name.clone(),
        expected,
        base,
        fields,
        pending_overwrite,
    );

    view! {
        <details class="edit-panel">
            <summary>"Edit metadata"</summary>
            <EditForm save name=name.clone() expected base fields />
            <SaveErrors save expected latest pending_overwrite reload overwrite />
        </details>
        <DeletePanel delete name path_count=variable.path_count expected />
    }
    .into_any()
}

/// The metadata form itself: hidden version, the inputs, the diff preview and Save.
#[component]
fn EditForm(
    save: ServerAction<UpdateVariableMetadata>,
    name: String,
    expected: RwSignal<i64>,
    base: RwSignal<MetadataForm>,
    fields: MetadataSignals,
) -> AnyView {
    let invalid = move || fields.display_error().is_some() || fields.locator_error().is_some();
    view! {
        <ActionForm action=save attr:class="edit-form" attr:aria-label="Edit metadata">
            <input type="hidden" name="name" value=name />
            <input
                type="hidden"
                name="expected_version"
                prop:value=move || expected.get().to_string()
            />
            <MetadataInputs fields />
            <DiffPreview base fields />
            <div class="field-actions field-wide">
                <button
                    type="submit"
                    class="button"
                    disabled=move || invalid() || save.pending().get()
                >
                    "Save"
                </button>
            </div>
        </ActionForm>
    }
    .into_any()
}

/// The five inputs of the metadata form, each validated as you type where it can be wrong.
#[component]
fn MetadataInputs(fields: MetadataSignals) -> AnyView {
    let MetadataSignals {
        display_name,
        units,
        description,
        category,
        locator,
    } = fields;
    let display_error = move || fields.display_error();
    let locator_error = move || fields.locator_error();
    let initial_description = description.get_untracked();
    view! {
        <div class="field">
            <label class="field-label" for="edit-display-name">
                "Display name"
            </label>
            <input
                id="edit-display-name"
                name="display_name"
                prop:value=display_name
                on:input=move |ev| display_name.set(event_target_value(&ev))
                aria-describedby="edit-display-name-error"
                aria-invalid=move || display_error().is_some().to_string()
            />
            <span id="edit-display-name-error" class="field-error" aria-live="polite">
                {display_error}
            </span>
        </div>
        <label class="field">
            <span class="field-label">"Units"</span>
            <input
                name="units"
                prop:value=units
                on:input=move |ev| units.set(event_target_value(&ev))
            />
        </label>
        <label class="field">
            <span class="field-label">"Category"</span>
            <select name="category" on:change=move |ev| category.set(event_target_value(&ev))>
                {Category::ALL
                    .iter()
                    .map(|c| {
                        view! {
                            <option value=c.as_str() selected=move || category.get() == c.as_str()>
                                {c.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <div class="field">
            <label class="field-label" for="edit-locator">
                "Locator"
            </label>
            <input
                id="edit-locator"
                name="locator"
                class="mono"
                placeholder="none"
                prop:value=locator
                on:input=move |ev| locator.set(event_target_value(&ev))
                aria-describedby="edit-locator-error"
                aria-invalid=move || locator_error().is_some().to_string()
            />
            <span id="edit-locator-error" class="field-error" aria-live="polite">
                {locator_error}
            </span>
        </div>
        <label class="field field-wide">
            <span class="field-label">"Description"</span>
            <textarea
                name="description"
                rows="2"
                prop:value=description
                on:input=move |ev| description.set(event_target_value(&ev))
            >
                {initial_description}
            </textarea>
        </label>
    }
    .into_any()
}

/// The change the form would save, field by field (opened-with → now).
#[component]
fn DiffPreview(base: RwSignal<MetadataForm>, fields: MetadataSignals) -> AnyView {
    view! {
        <div class="diff-preview field-wide" aria-live="polite">
            {move || {
                let changes = base.with(|base| base.changes_to(&fields.get()));
                if changes.is_empty() {
                    view! { <p class="muted">"No changes yet."</p> }.into_any()
                } else {
                    view! {
                        <p>"Will change:"</p>
                        <ul class="diff">
                            {changes
                                .into_iter()
                                .map(|(field, old, new)| {
                                    view! {
                                        <li>
                                            <span class="mono">{field}</span>
                                            ": "
                                            <del>{old}</del>
                                            " → "
                                            <ins>{new}</ins>
                                        </li>
                                    }
                                })
                                .collect_view()}
                        </ul>
                    }
                        .into_any()
                }
            }}
        </div>
    }
    .into_any()
}

/// The danger zone: soft-deletes the variable at the version the form knows.
#[component]
fn DeletePanel(
    delete: ServerAction<DeleteVariable>,
    name: String,
    path_count: u32,
    expected: RwSignal<i64>,
) -> AnyView {
    view! {
        <details class="edit-panel danger-zone">
            <summary>"Delete variable…"</summary>
            <p>
                "Deleting marks "<span class="mono">{name.clone()}</span>
                {format!(" and its {path_count} active path(s) as deleted. ")}
                "Its history stays, and other controllers receive the deletion through the change feed."
            </p>
            <ActionForm action=delete>
                <input type="hidden" name="name" value=name.clone() />
                <input
                    type="hidden"
                    name="expected_version"
                    prop:value=move || expected.get().to_string()
                />
                <button type="submit" class="button button-danger">
                    {format!("Delete {name}")}
                </button>
            </ActionForm>
        </details>
    }
    .into_any()
}
