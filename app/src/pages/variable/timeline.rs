//! The change history of the variable page, as a timeline; each version links to its past state.

use leptos::prelude::*;

use super::past::version_href;
use model::registry::{AccessReference, AccessType, ChangeLogEntry, RESTORED_VERSION_FIELD};
use model::system::short_timestamp;

/// The change history, one item per change: what changed, by whom, via what, at which versions.
/// The newest row of each variable version links to that version (`Open vN`).
#[component]
pub(super) fn Timeline(name: String, entries: Vec<ChangeLogEntry>) -> AnyView {
    let mut previous_version = None;
    view! {
        <ol class="timeline">
            {entries
                .into_iter()
                .map(|e| {
                    let first_of_version = previous_version != Some(e.variable_version);
                    previous_version = Some(e.variable_version);
                    let open = first_of_version
                        .then(|| {
                            view! {
                                <a
                                    class="timeline-open"
                                    href=version_href(&name, e.variable_version, None)
                                >
                                    {format!("Open v{}", e.variable_version)}
                                </a>
                            }
                        });
                    let old = e.old_value.as_deref().map(readable);
                    let new = e.new_value.as_deref().map(readable);
                    let restored = e.field_name.as_deref() == Some(RESTORED_VERSION_FIELD);
                    let what = match (&e.field_name, &old, &new) {
                        _ if restored => {
                            format!("restored version {}", new.clone().unwrap_or_default())
                        }
                        (Some(field), Some(old), Some(new)) => format!("{field}: {old} → {new}"),
                        (Some(field), None, Some(new)) => format!("{field}: {new}"),
                        (Some(field), Some(old), None) => format!("{field}: {old} (removed)"),
                        (Some(field), None, None) => field.clone(),
                        (None, _, _) => String::new(),
                    };
                    view! {
                        <li class="timeline-item">
                            <span class=format!(
                                "badge change-{}",
                                e.change_type,
                            )>{e.change_type.as_str().replace('_', " ")}</span>
                            <span class="timeline-what mono">{what}</span>
                            <span class="timeline-meta muted">
                                {format!(
                                    "{} · {} via {} · v{} · sys {}",
                                    short_timestamp(&e.timestamp),
                                    e.changed_by,
                                    e.source_system,
                                    e.variable_version,
                                    e.system_version,
                                )}
                            </span>
                            {open}
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}

/// A logged value for people: a path reference (stored as its JSON) reads as the one-line summary
/// the Access paths table shows (`oper:sbmu:input @ 8, 2 B × 1`); anything else as it was logged.
fn readable(value: &str) -> String {
    let Ok(json) = serde_json::from_str::<serde_json::Value>(value) else {
        return value.to_string();
    };
    if !json.is_object() {
        return value.to_string();
    }
    // The log holds the reference without its type; the four shapes refuse each other's fields.
    AccessType::ALL
        .into_iter()
        .find_map(|access_type| AccessReference::parse(access_type, &json).ok())
        .map_or_else(|| value.to_string(), |reference| reference.summary())
}
