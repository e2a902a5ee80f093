//! The access paths of the variable page: the table with Remove, and the Add path form.

use leptos::prelude::*;

use crate::api::registry::{AddAccessPath, RemoveAccessPath};
use crate::components::error_view::ErrorPanel;
use crate::components::path_form::{PathDraft, PathFields};
use model::registry::{AccessPath, AccessReference};

/// The paths of a variable; with `actions` (name, version, reload) active paths can be removed.
#[component]
pub(super) fn PathTable(
    paths: Vec<AccessPath>,
    actions: Option<(String, i64, Callback<()>)>,
) -> AnyView {
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
                    {paths
                        .into_iter()
                        .map(|path| view! { <PathRow path actions=actions.clone() armed remove /> })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The column headers of the access-path table.
#[component]
fn PathTableHead() -> AnyView {
    view! {
        <thead>
            <tr>
                <th scope="col">"Type"</th>
                <th scope="col">"Reference"</th>
                <th scope="col" class="num">
                    "Memory"
                </th>
                <th scope="col" class="num">
                    "Priority"
                </th>
                <th scope="col">"Rack"</th>
                <th scope="col">"Access"</th>
                <th scope="col" class="num">
                    "Version"
                </th>
                <th scope="col">"State"</th>
                <th scope="col">
                    <span class="visually-hidden">"Actions"</span>
                </th>
            </tr>
        </thead>
    }
    .into_any()
}

/// One access path as a table row; an active path gets its Remove control when `actions` is set.
#[component]
fn PathRow(
    path: AccessPath,
    actions: Option<(String, i64, Callback<()>)>,
    armed: RwSignal<Option<i64>>,
    remove: ServerAction<RemoveAccessPath>,
) -> AnyView {
    let p = path;
    let parsed = AccessReference::parse(p.access_type, &p.reference).ok();
    let summary = parsed
        .as_ref()
        .map_or_else(|| p.reference.to_string(), AccessReference::summary);
    // Memory covered: bytes, or bits in a bit table; a memory ID names its width in bits.
    let memory = match &parsed {
        Some(AccessReference::MemoryOffset(m)) => format!("{} {}", m.memory_size(), m.unit()),
        Some(AccessReference::MemoryId(m)) => format!("{} bit", m.width),
        Some(AccessReference::CanBytes(c)) => format!("{} B", c.length()),
        _ => "—".to_string(),
    };
    let id = p.id;
    view! {
        <tr class:inactive=!p.active>
            <td>{p.access_type.label()}</td>
            <td class="mono wrap" title=p.reference.to_string()>
                {summary}
            </td>
            <td class="num">{memory}</td>
            <td class="num">{p.priority}</td>
            <td>{p.rack_number.map_or("all".to_string(), |r| r.to_string())}</td>
            <td>{if p.read_only { "read-only" } else { "writable" }}</td>
            <td class="num">{format!("v{} · {}", p.path_version, p.system_version)}</td>
            <td>
                {if p.active {
                    view! { <span class="badge badge-good">"active"</span> }.into_any()
                } else {
                    view! { <span class="badge">"inactive"</span> }.into_any()
                }}
            </td>
            <td>
                {actions
                    .filter(|_| p.active)
                    .map(|(name, version, _)| {
                        view! { <RemovePath name version id armed remove /> }
                    })}
            </td>
        </tr>
    }
    .into_any()
}

/// "Remove…", armed into "active → inactive" with Confirm and Cancel.
#[component]
fn RemovePath(
    name: String,
    version: i64,
    id: i64,
    armed: RwSignal<Option<i64>>,
    remove: ServerAction<RemoveAccessPath>,
) -> AnyView {
    view! {
        <Show
            when=move || armed.get() == Some(id)
            fallback=move || {
                view! {
                    <button type="button" class="link-button" on:click=move |_| armed.set(Some(id))>
                        "Remove…"
                    </button>
                }
            }
        >
            <span class="confirm">
                "active → inactive "
                <button
                    type="button"
                    class="link-button danger"
                    on:click={
                        let name = name.clone();
                        move |_| {
                            remove
                                .dispatch(RemoveAccessPath {
                                    name: name.clone(),
                                    expected_version: version,
                                    path_id: id,
                                });
                        }
                    }
                >
                    "Confirm"
                </button> " "
                <button type="button" class="link-button" on:click=move |_| armed.set(None)>
                    "Cancel"
                </button>
            </span>
        </Show>
    }
    .into_any()
}

/// Adds an access path, validated as you type with the shared reference rules.
#[component]
pub(super) fn AddPathPanel(name: String, version: i64, reload: Callback<()>) -> AnyView {
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
                    <button
                        type="submit"
                        class="button"
                        disabled=move || draft.build().is_err() || add.pending().get()
                    >
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
    .into_any()
}
