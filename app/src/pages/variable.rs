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
use model::error::AppError;
use model::registry::{
    AccessPath, AccessReference, Category, ChangeLogEntry, Variable, validate_locator,
};
use model::system::short_timestamp;
use crate::pages::device_panel::DevicePanel;

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
                <tbody>
                    {paths.into_iter().map(|p| {
                        let parsed = AccessReference::parse(p.access_type, &p.reference).ok();
                        let summary = parsed.as_ref().map_or_else(|| p.reference.to_string(), AccessReference::summary);
                        let memory = match &parsed {
                            Some(AccessReference::MemoryOffset(m)) => format!("{} B", m.memory_size()),
                            _ => "—".to_string(),
                        };
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
                                <td>{actions.clone().filter(|_| p.active).map(|(name, version, _)| {
                                    let id = p.id;
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
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
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

/// The metadata form: validates as you type, previews the change as a diff, saves with the
/// version it was opened at, and on a conflict shows what changed meanwhile with the choice to
/// reload or overwrite.
#[component]
fn EditPanel(variable: Variable, reload: Callback<()>) -> impl IntoView {
    let save = ServerAction::<UpdateVariableMetadata>::new();
    let delete = ServerAction::<DeleteVariable>::new();
    let latest = Action::new(|name: &String| get_variable_detail(name.clone()));
    let original = StoredValue::new(variable.clone());
    let name = variable.name.clone();
    let expected = RwSignal::new(variable.variable_version);
    let display_name = RwSignal::new(variable.display_name.clone());
    let units = RwSignal::new(variable.units.clone());
    let description = RwSignal::new(variable.description.clone());
    let category = RwSignal::new(variable.category.as_str().to_string());
    let locator = RwSignal::new(variable.locator.clone());

    let display_error = move || {
        display_name
            .with(|d| d.trim().is_empty())
            .then_some("must not be blank")
    };
    let locator_error = move || locator.with(|l| validate_locator(l).err());
    let invalid = move || display_error().is_some() || locator_error().is_some();
    let changes = move || {
        let o = original.get_value();
        [
            ("display_name", o.display_name.clone(), display_name.get()),
            ("units", o.units.clone(), units.get()),
            ("description", o.description.clone(), description.get()),
            ("category", o.category.as_str().to_string(), category.get()),
            ("locator", o.locator.clone(), locator.get()),
        ]
        .into_iter()
        .filter(|(_, old, new)| old != new)
        .collect::<Vec<_>>()
    };

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
    let overwrite_name = name.clone();
    let overwrite = move |_| {
        if let Some(Ok(now)) = latest.value().get_untracked() {
            expected.set(now.variable.variable_version);
            save.dispatch(UpdateVariableMetadata {
                name: overwrite_name.clone(),
                expected_version: now.variable.variable_version,
                display_name: display_name.get_untracked(),
                units: units.get_untracked(),
                description: description.get_untracked(),
                category: category.get_untracked(),
                locator: locator.get_untracked(),
            });
        }
    };
    let conflict = move || {
        let Some(Err(AppError::Conflict(message))) = save.value().get() else {
            return None;
        };
        let since = expected.get();
        let meanwhile = match latest.value().get() {
            Some(Ok(now)) => now
                .history
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
                .into_any(),
            _ => view! { <li class="muted">"Reading the current state…"</li> }.into_any(),
        };
        Some(view! {
            <div class="conflict-panel" role="alert">
                <strong>"Someone else saved this variable since you opened the form."</strong>
                <p class="muted">{message}</p>
                <p>"Changed meanwhile:"</p>
                <ul>{meanwhile}</ul>
                <div class="field-actions">
                    <button type="button" class="button button-secondary" on:click=move |_| reload.run(())>
                        "Reload (discard my changes)"
                    </button>
                    <button type="button" class="button" on:click=overwrite.clone()>"Overwrite with mine"</button>
                </div>
            </div>
        })
    };
    let other_error = move || match save.value().get() {
        Some(Err(error)) if !matches!(error, AppError::Conflict(_)) => {
            Some(view! { <ErrorPanel error /> })
        }
        _ => None,
    };
    let path_count = variable.path_count;
    let delete_name = name.clone();

    view! {
        <details class="edit-panel">
            <summary>"Edit metadata"</summary>
            <ActionForm action=save attr:class="edit-form" attr:aria-label="Edit metadata">
                <input type="hidden" name="name" value=name.clone() />
                <input type="hidden" name="expected_version" prop:value=move || expected.get().to_string() />
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
                        {variable.description.clone()}
                    </textarea>
                </label>
                <div class="diff-preview field-wide" aria-live="polite">
                    {move || {
                        let changes = changes();
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
                <div class="field-actions field-wide">
                    <button type="submit" class="button" disabled=move || invalid() || save.pending().get()>
                        "Save"
                    </button>
                </div>
            </ActionForm>
            {conflict}
            {other_error}
        </details>
        <details class="edit-panel danger-zone">
            <summary>"Delete variable…"</summary>
            <p>
                "Deleting marks "<span class="mono">{delete_name.clone()}</span>
                {format!(" and its {path_count} active path(s) as deleted. ")}
                "Its history stays, and other controllers receive the deletion through the change feed."
            </p>
            <ActionForm action=delete>
                <input type="hidden" name="name" value=delete_name.clone() />
                <input type="hidden" name="expected_version" prop:value=move || expected.get().to_string() />
                <button type="submit" class="button button-danger">{format!("Delete {delete_name}")}</button>
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
