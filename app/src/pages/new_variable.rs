//! The New variable page: metadata and a first access path, validated as you type with the same
//! rules the server applies.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_navigate;

use crate::api::registry::CreateVariable;
use crate::components::error_view::ErrorPanel;
use crate::components::path_form::{PathDraft, PathFields};
use model::registry::{
    Category, FieldError, NewVariable, locator_from_form, validate_form_locator, validate_name,
};

/// The inputs of the form, as signals.
#[derive(Clone, Copy)]
struct NewVariableDraft {
    name: RwSignal<String>,
    display_name: RwSignal<String>,
    units: RwSignal<String>,
    description: RwSignal<String>,
    category: RwSignal<Category>,
    locator: RwSignal<String>,
    /// Whether the first access path below is part of the variable.
    with_path: RwSignal<bool>,
    path: PathDraft,
}

impl NewVariableDraft {
    fn new() -> Self {
        NewVariableDraft {
            name: RwSignal::new(String::new()),
            display_name: RwSignal::new(String::new()),
            units: RwSignal::new(String::new()),
            description: RwSignal::new(String::new()),
            category: RwSignal::new(Category::Oper),
            // No locator unless the operator gives one, as the importer does.
            locator: RwSignal::new(String::new()),
            with_path: RwSignal::new(true),
            path: PathDraft::new(),
        }
    }

    /// The variable to create, or the first rule the form breaks (tracked).
    fn build(&self) -> Result<NewVariable, FieldError> {
        validate_name(&self.name.get()).map_err(|e| FieldError::new("name", e))?;
        validate_form_locator(&self.locator.get()).map_err(|e| FieldError::new("locator", e))?;
        let paths = if self.with_path.get() {
            vec![self.path.build()?]
        } else {
            Vec::new()
        };
        let display = self.display_name.get();
        Ok(NewVariable {
            name: self.name.get(),
            display_name: (!display.trim().is_empty()).then_some(display),
            units: self.units.get(),
            description: self.description.get(),
            category: self.category.get(),
            locator: locator_from_form(&self.locator.get()),
            paths,
        })
    }
}

/// The New variable page: the form, and what went wrong when creating failed.
#[component]
pub fn NewVariablePage() -> AnyView {
    let create = ServerAction::<CreateVariable>::new();
    let draft = NewVariableDraft::new();
    let build = Signal::derive(move || draft.build());
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(new) = build.get() {
            create.dispatch(CreateVariable { new });
        }
    };
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            navigate(&format!("/registry/{}", created.name), Default::default());
        }
    });
    let NewVariableDraft {
        name,
        with_path,
        path,
        ..
    } = draft;

    view! {
        <Title text="New variable" />
        <section class="page" aria-labelledby="new-title">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/registry">"Registry"</a>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"New variable"</span>
            </nav>
            <h1 id="new-title">"New variable"</h1>
            <noscript>
                <p class="muted">
                    "This form needs JavaScript; scripts can use POST /api/v1/variables."
                </p>
            </noscript>
            <form class="edit-form edit-panel" on:submit=on_submit aria-label="New variable">
                <NewMetadataFields draft />
                <label class="checkbox field-wide">
                    <input
                        type="checkbox"
                        prop:checked=with_path
                        on:change=move |ev| with_path.set(event_target_checked(&ev))
                    />
                    " With a first access path"
                </label>
                <Show when=move || with_path.get()>
                    <PathFields draft=path id="new-path" />
                </Show>
                <div class="field-actions field-wide">
                    <button
                        type="submit"
                        class="button"
                        disabled=move || build.with(Result::is_err) || create.pending().get()
                    >
                        "Create variable"
                    </button>
                    <span class="field-error">
                        {move || {
                            (!name.get().is_empty())
                                .then(|| build.get().err())
                                .flatten()
                                .map(|e| e.to_string())
                        }}
                    </span>
                </div>
            </form>
            {move || match create.value().get() {
                Some(Err(error)) => Some(view! { <ErrorPanel error /> }),
                _ => None,
            }}
        </section>
    }
    .into_any()
}

/// The metadata inputs of a new variable, name and locator validated as you type.
#[component]
fn NewMetadataFields(draft: NewVariableDraft) -> AnyView {
    let NewVariableDraft {
        name,
        display_name,
        units,
        description,
        category,
        locator,
        ..
    } = draft;
    // Nothing to complain about before the operator typed a name.
    let name_error =
        move || name.with(|n| (!n.is_empty()).then(|| validate_name(n).err()).flatten());
    let locator_error = move || locator.with(|l| validate_form_locator(l).err());
    view! {
        <div class="field">
            <label class="field-label" for="new-name">
                "Name"
            </label>
            <input
                id="new-name"
                class="mono"
                placeholder="cell_voltage_max_warn"
                prop:value=name
                on:input=move |ev| name.set(event_target_value(&ev))
                aria-describedby="new-name-error"
                aria-invalid=move || name_error().is_some().to_string()
            />
            <span id="new-name-error" class="field-error" aria-live="polite">
                {name_error}
            </span>
        </div>
        <label class="field">
            <span class="field-label">"Display name (default: from the name)"</span>
            <input
                prop:value=display_name
                on:input=move |ev| display_name.set(event_target_value(&ev))
            />
        </label>
        <label class="field">
            <span class="field-label">"Units"</span>
            <input prop:value=units on:input=move |ev| units.set(event_target_value(&ev)) />
        </label>
        <label class="field">
            <span class="field-label">"Category"</span>
            <select on:change=move |ev| {
                if let Some(c) = Category::parse(&event_target_value(&ev)) {
                    category.set(c)
                }
            }>
                {Category::ALL
                    .iter()
                    .map(|c| {
                        view! {
                            <option value=c.as_str() selected=move || category.get() == *c>
                                {c.label()}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </label>
        <div class="field">
            <label class="field-label" for="new-locator">
                "Locator"
            </label>
            <input
                id="new-locator"
                class="mono"
                placeholder="none, or e.g. rbms.rack[n]"
                prop:value=locator
                on:input=move |ev| locator.set(event_target_value(&ev))
                aria-describedby="new-locator-error"
                aria-invalid=move || locator_error().is_some().to_string()
            />
            <span id="new-locator-error" class="field-error" aria-live="polite">
                {locator_error}
            </span>
        </div>
        <label class="field field-wide">
            <span class="field-label">"Description"</span>
            <textarea
                rows="2"
                prop:value=description
                on:input=move |ev| description.set(event_target_value(&ev))
            ></textarea>
        </label>
    }
    .into_any()
}
