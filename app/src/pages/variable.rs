//! The variable detail page: every field, the access paths with their references spelled out,
//! version badges and the change history as a timeline.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::registry::{VariableDetail, get_variable_detail};
use crate::components::error_view::ErrorPanel;
use crate::model::registry::{AccessPath, AccessReference, ChangeLogEntry};

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
                        Ok(detail) => view! { <VariableView detail /> }.into_any(),
                        Err(error) => {
                            #[cfg(feature = "ssr")]
                            if matches!(error, crate::error::AppError::NotFound(_))
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
fn VariableView(detail: VariableDetail) -> impl IntoView {
    let v = detail.variable;
    let paths = v.paths.clone().unwrap_or_default();
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
            <div><dt>"Last updated"</dt><dd><time datetime=v.last_updated.clone()>{short_time(&v.last_updated)}</time></dd></div>
            <div class="field-wide"><dt>"Description"</dt><dd>{v.description.clone()}</dd></div>
        </dl>
        <h2 class="section-title">"Access paths"</h2>
        <PathTable paths />
        <h2 class="section-title">"History"</h2>
        <Timeline entries=detail.history />
    }
}

#[component]
fn PathTable(paths: Vec<AccessPath>) -> impl IntoView {
    if paths.is_empty() {
        return view! { <p class="muted">"No access paths."</p> }.into_any();
    }
    view! {
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
                                <td class="mono" title=p.reference.to_string()>{summary}</td>
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
                            {format!("{} · {} via {} · v{} · sys {}", short_time(&e.timestamp), e.changed_by, e.source_system, e.variable_version, e.system_version)}
                        </span>
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// `2026-11-24 06:12 UTC` from RFC 3339.
fn short_time(rfc3339: &str) -> String {
    match (rfc3339.get(0..10), rfc3339.get(11..16)) {
        (Some(date), Some(time)) => format!("{date} {time} UTC"),
        _ => rfc3339.to_string(),
    }
}
