//! The variable detail page: every field, the access paths with their references spelled out,
//! version badges and the change history as a timeline.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::registry::{
    AddAccessPath, DeleteVariable, RemoveAccessPath, UpdateVariableMetadata, VariableDetail,
    get_variable_detail,
};
use crate::components::error_view::ErrorPanel;
use crate::components::path_form::{PathDraft, PathFields};
use crate::pages::device_panel::DevicePanel;
use model::error::AppError;
use model::registry::{
    AccessPath, AccessReference, Category, ChangeLogEntry, MergedMetadata, MetadataForm, Variable,
    merge_mine, validate_locator,
};
use model::system::short_timestamp;

#[component]
pub fn VariablePage() -> impl IntoView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.with(|p| p.get("name").unwrap_or_default()));
    let detail = Resource::new(move || name.get(), get_variable_detail);
    view! {
        <section class="page page-wide">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/registry">"Registry"</a>
                <span aria-hidden="true">" / "</span>
                <span class="mono" aria-current="page">{move || name.get()}</span>
            </nav>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail_value) => {
                            let reload = Callback::new(move |()| detail.refetch());
                            view! { <VariableView detail=detail_value reload /> }.into_any()
                        }
                        Err(error) => {
                            #[cfg(feature = "ssr")]
                            if matches!(error, model::error::AppError::NotFound(_))
                                && let Some(response) = use_context::<leptos_axum::ResponseOptions>()
                            {
                                response.set_status(axum::http::StatusCode::NOT_FOUND);
                            }
                            view! {
                                <Title text="Variable not found" />
                                <ErrorPanel error />
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn VariableView(detail: VariableDetail, reload: Callback<()>) -> impl IntoView {
    let v = detail.variable;
    let paths = v.paths.clone().unwrap_or_default();
    let editable = (!v.deleted).then(|| view! { <EditPanel variable=v.clone() reload /> });
    let path_actions = (!v.deleted).then(|| (v.name.clone(), v.variable_version, reload));
    // Only configuration variables are written from the console; limits go through Protections.
    let writable = v.category == Category::Config && paths.iter().any(|p| p.active && !p.read_only);
    let device = (!v.deleted && paths.iter().any(|p| p.active)).then(|| {
        view! { <DevicePanel name=v.name.clone() units=v.units.clone() writable /> }
    });
    let add_path = (!v.deleted)
        .then(|| view! { <AddPathPanel name=v.name.clone() version=v.variable_version reload /> });
    view! {
        <Title text=v.display_name.clone() />
        <header class="page-header">
            <div>
                <h1>{v.display_name.clone()}</h1>
                <p class="mono muted">{v.name.clone()}</p>
            </div>
            <div class="badges">
                <span class=format!("badge badge-{}", v.category)>{v.category.label()}</span>
                <span class="badge" title="Variable version">{format!("v{}", v.variable_version)}</span>
                <span class="badge" title="System version of the last change">{format!("sys {}", v.system_version)}</span>
                {v.deleted.then(|| view! { <span class="badge badge-bad">"deleted"</span> })}
            </div>
        </header>
        <dl class="fields">
            <div><dt>"Units"</dt><dd>{if v.units.is_empty() { "—".to_string() } else { v.units.clone() }}</dd></div>
            <div><dt>"Locator"</dt><dd class="mono">{v.locator.clone()}</dd></div>
            <div><dt>"Source"</dt><dd>{v.source_system.clone()}</dd></div>
            <div><dt>"Last updated"</dt><dd><time datetime=v.last_updated.clone()>{short_timestamp(&v.last_updated)}</time></dd></div>
            <div class="field-wide"><dt>"Description"</dt><dd>{v.description.clone()}</dd></div>
        </dl>
        {device}
        {editable}
        <h2 class="section-title">"Access paths"</h2>
        <PathTable paths actions=path_actions />
        {add_path}
        <h2 class="section-title">"History"</h2>
        <Timeline entries=detail.history />
    }
}

/// The paths of a variable; with `actions` (name, version, reload) active paths can be removed.
#[component]
fn PathTable(
    paths: Vec<AccessPath>,
    actions: Option<(String, i64, Callback<()>)>,
) -> impl IntoView {
    let remove = ServerAction::<RemoveAccessPath>::new();
    let armed = RwSignal::new(None::<i64>);
    let reload = actions.as_ref().map(|(_, _, reload)| *reload);
    Effect::new(move |_| {
        if matches!(remove.value().get(), Some(Ok(_)))
            && let Some(reload) = reload
        {
            reload.run(());
        }
    });
    if paths.is_empty() {
        return view! { <p class="muted">"No access paths."</p> }.into_any();
    }
    let remove_error = move || match remove.value().get() {
        Some(Err(error)) => Some(view! { <ErrorPanel error /> }),
        _ => None,
    };
    view! {
        {remove_error}
        <div class="table-wrap">
            <table class="data-table">
                <PathTableHead />
                <tbody>
                    {paths.into_iter().map(|path| view! {
                        <PathRow path actions=actions.clone() armed remove />
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The column headers of the access-path table.
#[component]
fn PathTableHead() -> impl IntoView {
    view! {
        <thead>
            <tr>
                <th scope="col">"Type"</th>
                <th scope="col">"Reference"</th>
                <th scope="col" class="num">"Memory"</th>
                <th scope="col" class="num">"Priority"</th>
                <th scope="col">"Rack"</th>
                <th scope="col">"Access"</th>
                <th scope="col" class="num">"Version"</th>
                <th scope="col">"State"</th>
                <th scope="col"><span class="visually-hidden">"Actions"</span></th>
            </tr>
        </thead>
    }
}

/// One access path as a table row; an active path gets its Remove control when `actions` is set.
#[component]
fn PathRow(
    path: AccessPath,
    actions: Option<(String, i64, Callback<()>)>,
    armed: RwSignal<Option<i64>>,
    remove: ServerAction<RemoveAccessPath>,
) -> impl IntoView {
    let p = path;
    let parsed = AccessReference::parse(p.access_type, &p.reference).ok();
    let summary = parsed
        .as_ref()
        .map_or_else(|| p.reference.to_string(), AccessReference::summary);
    let memory = match &parsed {
        Some(AccessReference::MemoryOffset(m)) => format!("{} B", m.memory_size()),
        _ => "—".to_string(),
    };
    let id = p.id;
    view! {
        <tr class:inactive=!p.active>
            <td>{p.access_type.label()}</td>
            <td class="mono wrap" title=p.reference.to_string()>{summary}</td>
            <td class="num">{memory}</td>
            <td class="num">{p.priority}</td>
            <td>{p.rack_number.map_or("all".to_string(), |r| r.to_string())}</td>
            <td>{if p.read_only { "read-only" } else { "writable" }}</td>
            <td class="num">{format!("v{} · {}", p.path_version, p.system_version)}</td>
            <td>{if p.active {
                view! { <span class="badge badge-good">"active"</span> }.into_any()
            } else {
                view! { <span class="badge">"inactive"</span> }.into_any()
            }}</td>
            <td>{actions.filter(|_| p.active).map(|(name, version, _)| view! {
                <RemovePath name version id armed remove />
            })}</td>
        </tr>
    }
}

/// "Remove…", armed into "active → inactive" with Confirm and Cancel.
#[component]
fn RemovePath(
    name: String,
    version: i64,
    id: i64,
    armed: RwSignal<Option<i64>>,
    remove: ServerAction<RemoveAccessPath>,
) -> impl IntoView {
    view! {
        <Show
            when=move || armed.get() == Some(id)
            fallback=move || view! {
                <button type="button" class="link-button" on:click=move |_| armed.set(Some(id))>
                    "Remove…"
                </button>
            }
        >
            <span class="confirm">
                "active → inactive "
                <button type="button" class="link-button danger" on:click={
                    let name = name.clone();
                    move |_| {
                        remove.dispatch(RemoveAccessPath { name: name.clone(), expected_version: version, path_id: id });
                    }
                }>"Confirm"</button>
                " "
                <button type="button" class="link-button" on:click=move |_| armed.set(None)>"Cancel"</button>
            </span>
        </Show>
    }
}

#[component]
fn Timeline(entries: Vec<ChangeLogEntry>) -> impl IntoView {
    view! {
        <ol class="timeline">
            {entries.into_iter().map(|e| {
                let what = match (&e.field_name, &e.old_value, &e.new_value) {
                    (Some(field), Some(old), Some(new)) => format!("{field}: {old} → {new}"),
                    (Some(field), None, Some(new)) => format!("{field}: {new}"),
                    (Some(field), Some(old), None) => format!("{field}: {old} (removed)"),
                    (Some(field), None, None) => field.clone(),
                    (None, _, _) => String::new(),
                };
                view! {
                    <li class="timeline-item">
                        <span class=format!("badge change-{}", e.change_type)>{e.change_type.replace('_', " ")}</span>
                        <span class="timeline-what mono">{what}</span>
                        <span class="timeline-meta muted">
                            {format!("{} · {} via {} · v{} · sys {}", short_timestamp(&e.timestamp), e.changed_by, e.source_system, e.variable_version, e.system_version)}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// The five inputs of the metadata form, as signals.
#[derive(Clone, Copy)]
struct MetadataSignals {
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
    fn get(&self) -> MetadataForm {
        MetadataForm {
            display_name: self.display_name.get(),
            units: self.units.get(),
            description: self.description.get(),
            category: self.category.get(),
            locator: self.locator.get(),
        }
    }

    fn set(&self, form: MetadataForm) {
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
        self.locator.with(|l| validate_locator(l).err())
    }
}

/// What "Overwrite with mine" would save: my changes merged onto the current state.
#[derive(Clone, PartialEq)]
struct Overwrite {
    /// The current variable version, expected by the save.
    version: i64,
    /// The current state (theirs).
    theirs: MetadataForm,
    merged: MergedMetadata,
}

/// The metadata form: validates as you type, previews the change as a diff, saves with the
/// version it was opened at, and on a conflict shows what changed meanwhile with the choice to
/// reload or overwrite (only the fields changed here, merged onto the current state).
#[component]
fn EditPanel(variable: Variable, reload: Callback<()>) -> impl IntoView {
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
    // On a conflict, read what changed meanwhile.
    let conflict_name = name.clone();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Err(AppError::Conflict(_)))) {
            latest.dispatch(conflict_name.clone());
        }
    });
    let pending_overwrite = pending_overwrite_of(latest, base, fields);
    // Overwrite saves my changes (base → form) onto theirs at their version; the form then
    // stands on theirs, so a later save or conflict merges against it.
    let overwrite_name = name.clone();
    let overwrite = Callback::new(move |()| {
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
            name: overwrite_name.clone(),
            expected_version: version,
            display_name: merged.form.display_name,
            units: merged.form.units,
            description: merged.form.description,
            category: merged.form.category,
            locator: merged.form.locator,
        });
    });
    let conflict = move || match save.value().get() {
        Some(Err(AppError::Conflict(message))) => Some(view! {
            <ConflictPanel message since=expected.get() latest pending_overwrite reload overwrite />
        }),
        _ => None,
    };
    let other_error = move || match save.value().get() {
        Some(Err(error)) if !matches!(error, AppError::Conflict(_)) => {
            Some(view! { <ErrorPanel error /> })
        }
        _ => None,
    };

    view! {
        <details class="edit-panel">
            <summary>"Edit metadata"</summary>
            <EditForm save name=name.clone() expected base fields />
            {conflict}
            {other_error}
        </details>
        <DeletePanel delete name path_count=variable.path_count expected />
    }
}

/// Once the current state is read after a conflict: what "Overwrite with mine" would save.
fn pending_overwrite_of(
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

/// The metadata form itself: hidden version, the inputs, the diff preview and Save.
#[component]
fn EditForm(
    save: ServerAction<UpdateVariableMetadata>,
    name: String,
    expected: RwSignal<i64>,
    base: RwSignal<MetadataForm>,
    fields: MetadataSignals,
) -> impl IntoView {
    let invalid = move || fields.display_error().is_some() || fields.locator_error().is_some();
    view! {
        <ActionForm action=save attr:class="edit-form" attr:aria-label="Edit metadata">
            <input type="hidden" name="name" value=name />
            <input type="hidden" name="expected_version" prop:value=move || expected.get().to_string() />
            <MetadataInputs fields />
            <DiffPreview base fields />
            <div class="field-actions field-wide">
                <button type="submit" class="button" disabled=move || invalid() || save.pending().get()>
                    "Save"
                </button>
            </div>
        </ActionForm>
    }
}

/// The five inputs of the metadata form, each validated as you type where it can be wrong.
#[component]
fn MetadataInputs(fields: MetadataSignals) -> impl IntoView {
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
            <label class="field-label" for="edit-display-name">"Display name"</label>
            <input id="edit-display-name" name="display_name" prop:value=display_name
                on:input=move |ev| display_name.set(event_target_value(&ev))
                aria-describedby="edit-display-name-error"
                aria-invalid=move || display_error().is_some().to_string() />
            <span id="edit-display-name-error" class="field-error" aria-live="polite">{display_error}</span>
        </div>
        <label class="field">
            <span class="field-label">"Units"</span>
            <input name="units" prop:value=units on:input=move |ev| units.set(event_target_value(&ev)) />
        </label>
        <label class="field">
            <span class="field-label">"Category"</span>
            <select name="category" on:change=move |ev| category.set(event_target_value(&ev))>
                {Category::ALL.iter().map(|c| view! {
                    <option value=c.as_str() selected=move || category.get() == c.as_str()>{c.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <div class="field">
            <label class="field-label" for="edit-locator">"Locator"</label>
            <input id="edit-locator" name="locator" class="mono" prop:value=locator
                on:input=move |ev| locator.set(event_target_value(&ev))
                aria-describedby="edit-locator-error"
                aria-invalid=move || locator_error().is_some().to_string() />
            <span id="edit-locator-error" class="field-error" aria-live="polite">{locator_error}</span>
        </div>
        <label class="field field-wide">
            <span class="field-label">"Description"</span>
            <textarea name="description" rows="2" prop:value=description
                on:input=move |ev| description.set(event_target_value(&ev))>
                {initial_description}
            </textarea>
        </label>
    }
}

/// The change the form would save, field by field (opened-with → now).
#[component]
fn DiffPreview(base: RwSignal<MetadataForm>, fields: MetadataSignals) -> impl IntoView {
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
                            {changes.into_iter().map(|(field, old, new)| view! {
                                <li><span class="mono">{field}</span>": "<del>{old}</del>" → "<ins>{new}</ins></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
        </div>
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
) -> impl IntoView {
    view! {
        <div class="conflict-panel" role="alert">
            <strong>"Someone else saved this variable since you opened the form."</strong>
            <p class="muted">{message}</p>
            <p>"Changed meanwhile:"</p>
            <ul>{move || changed_meanwhile(latest.value().get(), since)}</ul>
            <OverwritePreview pending_overwrite />
            <div class="field-actions">
                <button type="button" class="button button-secondary" on:click=move |_| reload.run(())>
                    "Reload (discard my changes)"
                </button>
                <button type="button" class="button" disabled=move || pending_overwrite.with(Option::is_none)
                    on:click=move |_| overwrite.run(())>"Overwrite with mine"</button>
            </div>
        </div>
    }
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
                {format!(": {} → {} ", h.old_value.clone().unwrap_or_default(), h.new_value.clone().unwrap_or_default())}
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
                        {changes.into_iter().map(|c| view! {
                            <li>
                                <span class="mono">{c.field}</span>": "
                                <del>{c.old.unwrap_or_default()}</del>" → "<ins>{c.new.unwrap_or_default()}</ins>
                            </li>
                        }).collect_view()}
                    </ul>
                </div>
            }
            .into_any()
        })
    }
}

/// The danger zone: soft-deletes the variable at the version the form knows.
#[component]
fn DeletePanel(
    delete: ServerAction<DeleteVariable>,
    name: String,
    path_count: u32,
    expected: RwSignal<i64>,
) -> impl IntoView {
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
                <input type="hidden" name="expected_version" prop:value=move || expected.get().to_string() />
                <button type="submit" class="button button-danger">{format!("Delete {name}")}</button>
            </ActionForm>
        </details>
    }
}

/// Adds an access path, validated as you type with the shared reference rules.
#[component]
fn AddPathPanel(name: String, version: i64, reload: Callback<()>) -> impl IntoView {
    let add = ServerAction::<AddAccessPath>::new();
    let draft = PathDraft::new();
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            reload.run(());
        }
    });
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(path) = draft.build() {
            add.dispatch(AddAccessPath {
                name: name.clone(),
                expected_version: version,
                path,
            });
        }
    };
    view! {
        <details class="edit-panel">
            <summary>"Add access path"</summary>
            <form class="edit-form" on:submit=on_submit aria-label="Add access path">
                <PathFields draft id="add-path" />
                <div class="field-actions field-wide">
                    <button type="submit" class="button" disabled=move || draft.build().is_err() || add.pending().get()>
                        "Add path"
                    </button>
                </div>
            </form>
            {move || match add.value().get() {
                Some(Err(error)) => Some(view! { <ErrorPanel error /> }),
                _ => None,
            }}
        </details>
    }
}
