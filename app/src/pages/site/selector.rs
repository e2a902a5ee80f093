//! The head of the Site page: the system selector (a GET form, so it works without JavaScript),
//! the system's facts and counts, and the export link.

use leptos::prelude::*;

use super::counted;
use crate::components::access::IfAllowed;
use crate::pages::registry::encode_component;
use model::auth::Permission;
use model::site::tree::{SystemNode, SystemSummary};

#[component]
pub(super) fn SystemBar(systems: Vec<SystemSummary>, system: SystemNode) -> AnyView {
    let summary = systems.iter().find(|s| s.id == system.id).cloned();
    let export = format!(
        "/api/v1/site/systems/{}/export",
        encode_component(&system.id)
    );
    let import = format!("/site/import?system={}", encode_component(&system.id));
    view! {
        <header class="page-header">
            <div>
                <p class="eyebrow">"Site"</p>
                <h1 id="site-title">{system.name.clone()}</h1>
                <p class="muted">
                    <span class="mono">{system.id.clone()}</span>
                    {format!(" · {}", system.timezone)}
                    {system.description.clone().map(|d| format!(" · {d}"))}
                </p>
            </div>
            <div class="page-actions">
                <IfAllowed permission=Permission::EditSite>
                    <a class="button button-secondary" href=import.clone()>
                        "Import config.yaml…"
                    </a>
                </IfAllowed>
                <a class="button button-secondary" href=export download="config.yaml">
                    "Export config.yaml"
                </a>
            </div>
        </header>
        <div class="filter-bar site-bar">
            <SystemSelect systems system=system.id.clone() />
            {summary.map(|s| view! { <SystemCounts summary=s /> })}
        </div>
    }
    .into_any()
}

/// The systems to choose from; the choice lands in the URL.
#[component]
fn SystemSelect(systems: Vec<SystemSummary>, system: String) -> AnyView {
    view! {
        <form class="site-select" method="get" action="/site">
            <label class="field">
                <span class="field-label">"System"</span>
                <select name="system">
                    {systems
                        .into_iter()
                        .map(|s| {
                            let selected = s.id == system;
                            view! {
                                <option value=s.id.clone() selected=selected>
                                    {format!("{} ({})", s.name, s.id)}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit" class="button button-secondary">
                "Show"
            </button>
        </form>
    }
    .into_any()
}

/// How much the system holds, in words.
#[component]
fn SystemCounts(summary: SystemSummary) -> AnyView {
    let to_usize = |n: u32| usize::try_from(n).unwrap_or(usize::MAX);
    let parts = [
        counted(
            to_usize(summary.inverter_arrays),
            "inverter array",
            "inverter arrays",
        ),
        counted(to_usize(summary.inverters), "inverter", "inverters"),
        counted(
            to_usize(summary.battery_arrays),
            "battery array",
            "battery arrays",
        ),
        counted(to_usize(summary.battery_packs), "pack", "packs"),
        counted(to_usize(summary.meters), "meter", "meters"),
    ];
    view! {
        <ul class="site-counts" aria-label="In this system">
            {parts.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
        </ul>
    }
    .into_any()
}
