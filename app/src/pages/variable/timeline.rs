//! The change history of the variable page, as a timeline.

use leptos::prelude::*;

use model::registry::ChangeLogEntry;
use model::system::short_timestamp;

/// The change history, one item per change: what changed, by whom, via what, at which versions.
#[component]
pub(super) fn Timeline(entries: Vec<ChangeLogEntry>) -> AnyView {
    view! {
        <ol class="timeline">
            {entries
                .into_iter()
                .map(|e| {
                    let what = match (&e.field_name, &e.old_value, &e.new_value) {
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
                        </li>
                    }
                })
                .collect_view()}
        </ol>
    }
    .into_any()
}
