//! A past version of the variable, opened from the history (`?version=N`): what it was, diffed
//! against today, and restoring it as a new version after a confirmation that shows what the
//! restore changes (`&confirm=F`, where F is the version the confirmation was opened against).
//! Links and a form, so it works without JavaScript too.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::api::registry::{RestoreVariableVersion, get_variable_version};
use crate::components::error_view::ErrorPanel;
use model::registry::{FieldChange, Variable, variable_changes};
use model::system::short_timestamp;

/// The page link that opens version `version` (and, with `confirm`, its restore confirmation
/// against the variable's version `confirm`).
pub(super) fn version_href(name: &str, version: i64, confirm: Option<i64>) -> String {
    let confirm = confirm.map(|c| format!("&confirm={c}")).unwrap_or_default();
    format!("/registry/{name}?version={version}{confirm}#past-version")
}

/// The panel of version `version`, loaded when opened. `confirm` is the variable version the
/// restore confirmation was opened against: it shows only while the variable is still there.
#[component]
pub(super) fn PastVersionPanel(
    current: Variable,
    version: i64,
    confirm: Option<i64>,
    reload: Callback<()>,
) -> AnyView {
    let name = current.name.clone();
    let past = Resource::new(
        move || (name.clone(), version),
        |(name, version)| get_variable_version(name, version),
    );
    view! {
        <section id="past-version" class="past-version" aria-labelledby="past-version-title">
            <h2 id="past-version-title" class="section-title">
                {format!("Version {version}")}
            </h2>
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {
                    let current = current.clone();
                    move || {
                        let current = current.clone();
                        Suspend::new(async move {
                            match past.await {
                                Ok(past) => {
                                    view! { <PastVersion current past confirm reload /> }.into_any()
                                }
                                Err(error) => view! { <ErrorPanel error /> }.into_any(),
                            }
                        })
                    }
                }
            </Transition>
        </section>
    }
    .into_any()
}

/// A loaded past version: when it was made, its differences from today, and the restore.
#[component]
fn PastVersion(
    current: Variable,
    past: Variable,
    confirm: Option<i64>,
    reload: Callback<()>,
) -> AnyView {
    let name = current.name.clone();
    let version = past.variable_version;
    let today = current.variable_version;
    let made = format!(
        "Saved {} at system version {} (via {}).",
        short_timestamp(&past.last_updated),
        past.system_version,
        past.source_system
    );
    let close = view! {
        <a class="button button-secondary" href=format!("/registry/{name}")>
            "Close"
        </a>
    };
    if version == today {
        return view! {
            <p class="muted">{made}</p>
            <p>"This is the current version."</p>
            {close}
        }
        .into_any();
    }
    // Field by field, this version beside today.
    let against_today = variable_changes(&past, &current);
    let body = if against_today.is_empty() {
        view! { <p>"Version "{version}" is the same as today (v"{today}")."</p> }.into_any()
    } else {
        let restore_href = version_href(&name, version, Some(today));
        let confirming = (confirm == Some(today)).then(|| {
            view! { <ConfirmRestore current=current.clone() past=past.clone() reload /> }
        });
        view! {
            <DiffTable changes=against_today version today />
            <p class="field-actions">
                <a class="button" href=restore_href data-testid="restore-link">
                    {format!("Restore version {version}…")}
                </a>
            </p>
            {confirming}
        }
        .into_any()
    };
    view! {
        <p class="muted">{made}</p>
        {body}
        {close}
    }
    .into_any()
}

/// A past version beside today, one row per field or path that differs.
#[component]
fn DiffTable(changes: Vec<FieldChange>, version: i64, today: i64) -> AnyView {
    let shown = |value: Option<String>| value.unwrap_or_else(|| "(none)".to_string());
    view! {
        <div class="table-wrap">
            <table
                class="data-table version-diff"
                aria-label=format!("Version {version} against today")
            >
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">{format!("Version {version}")}</th>
                        <th scope="col">{format!("Today (v{today})")}</th>
                    </tr>
                </thead>
                <tbody>
                    {changes
                        .into_iter()
                        .map(|change| {
                            view! {
                                <tr>
                                    <th scope="row" class="row-head mono">
                                        {change.field}
                                    </th>
                                    <td class="mono">{shown(change.old)}</td>
                                    <td class="mono">{shown(change.new)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The confirmation: what the restore changes (today → the past version) and the button that
/// restores it at the version the operator sees.
#[component]
fn ConfirmRestore(current: Variable, past: Variable, reload: Callback<()>) -> AnyView {
    let restore = ServerAction::<RestoreVariableVersion>::new();
    let name = current.name.clone();
    let version = past.variable_version;
    let today = current.variable_version;
    let navigate = use_navigate();
    let page = format!("/registry/{name}");
    // Restored: show the variable as it is now, with the history closed.
    Effect::new(move |_| {
        if matches!(restore.value().get(), Some(Ok(_))) {
            navigate(&page, Default::default());
            reload.run(());
        }
    });
    let changes = variable_changes(&current, &past);
    view! {
        <div class="confirm" role="group" aria-label="Confirm the restore">
            <p>
                {format!(
                    "Restoring makes version {} with the values of version {version}. It changes:",
                    today + 1,
                )}
            </p>
            <ul class="diff">
                {changes
                    .into_iter()
                    .map(|change| {
                        view! {
                            <li>
                                <span class="mono">{change.field}</span>
                                ": "
                                <del>{change.old.unwrap_or_else(|| "(none)".into())}</del>
                                " → "
                                <ins>{change.new.unwrap_or_else(|| "(none)".into())}</ins>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
            <ActionForm action=restore attr:aria-label="Restore">
                <input type="hidden" name="name" value=name.clone() />
                <input type="hidden" name="version" value=version.to_string() />
                <input type="hidden" name="expected_version" value=today.to_string() />
                <button type="submit" class="button" disabled=move || restore.pending().get()>
                    {format!("Restore version {version}")}
                </button>
                <a class="button button-secondary" href=version_href(&name, version, None)>
                    "Cancel"
                </a>
            </ActionForm>
            {move || match restore.value().get() {
                Some(Err(error)) => Some(view! { <ErrorPanel error /> }),
                _ => None,
            }}
        </div>
    }
    .into_any()
}
