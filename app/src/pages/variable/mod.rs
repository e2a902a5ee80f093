//! The variable detail page: every field, the access paths with their references spelled out,
//! version badges, the change history as a timeline, and any past version opened from it
//! (`?version=N`). This module owns the page and its header; the panels have their own files.

mod conflict;
mod device;
mod metadata;
mod past;
mod paths;
mod timeline;

use leptos::prelude::*;
use model::auth::Permission;

use crate::components::access::IfAllowed;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::registry::{VariableDetail, get_variable_detail};
use crate::components::error_view::ErrorPanel;
use device::DevicePanel;
use metadata::EditPanel;
use model::registry::Category;
use model::system::short_timestamp;
use past::PastVersionPanel;
use paths::{AddPathPanel, PathTable};
use timeline::Timeline;

#[component]
pub fn VariablePage() -> AnyView {
    let params = use_params_map();
    let name = Memo::new(move |_| params.with(|p| p.get("name").unwrap_or_default()));
    let detail = Resource::new(move || name.get(), get_variable_detail);
    // The past version opened from the history, and the version a restore is confirmed against.
    let query = use_query_map();
    let opened = Memo::new(move |_| {
        query.with(|q| {
            let number = |key: &str| q.get(key).and_then(|v| v.parse::<i64>().ok());
            number("version").map(|version| (version, number("confirm")))
        })
    });
    view! {
        <section class="page page-wide">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/registry">"Registry"</a>
                <span aria-hidden="true">" / "</span>
                <span class="mono" aria-current="page">
                    {move || name.get()}
                </span>
            </nav>
            <Transition fallback=|| {
                view! { <p class="muted">"Loading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(detail_value) => {
                            let reload = Callback::new(move |()| detail.refetch());
                            view! { <VariableView detail=detail_value reload opened /> }.into_any()
                        }
                        Err(error) => {
                            #[cfg(feature = "ssr")]
                            if matches!(error, model::error::AppError::NotFound(_))
                                && let Some(response) = use_context::<
                                    leptos_axum::ResponseOptions,
                                >()
                            {
                                response.set_status(axum::http::StatusCode::NOT_FOUND);
                            }
                            view! {
                                <Title text="Variable not found" />
                                <ErrorPanel error />
                            }
                                .into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn VariableView(
    detail: VariableDetail,
    reload: Callback<()>,
    opened: Memo<Option<(i64, Option<i64>)>>,
) -> AnyView {
    let v = detail.variable;
    let current = v.clone();
    let past = move || {
        opened.get().map(|(version, confirm)| {
            view! { <PastVersionPanel current=current.clone() version confirm reload /> }
        })
    };
    let paths = v.paths.clone().unwrap_or_default();
    let editable = (!v.deleted).then(|| {
        let variable = v.clone();
        view! {
            <IfAllowed permission=Permission::EditRegistry>
                <EditPanel variable=variable.clone() reload />
            </IfAllowed>
        }
    });
    let path_actions = (!v.deleted).then(|| (v.name.clone(), v.variable_version, reload));
    // Only configuration variables are written from the console; limits go through Protections.
    let writable = v.category == Category::Config && paths.iter().any(|p| p.active && !p.read_only);
    let live = detail.live;
    let device = (!v.deleted && paths.iter().any(|p| p.active)).then(|| {
        view! { <DevicePanel name=v.name.clone() units=v.units.clone() writable live /> }
    });
    let add_path = (!v.deleted).then(|| {
        let (name, version) = (v.name.clone(), v.variable_version);
        view! {
            <IfAllowed permission=Permission::EditRegistry>
                <AddPathPanel name=name.clone() version reload />
            </IfAllowed>
        }
    });
    view! {
        <Title text=v.display_name.clone() />
        <header class="page-header">
            <div>
                <h1>{v.display_name.clone()}</h1>
                <p class="mono muted">{v.name.clone()}</p>
            </div>
            <div class="badges">
                <span class=format!("badge badge-{}", v.category)>{v.category.label()}</span>
                <span class="badge" title="Variable version">
                    {format!("v{}", v.variable_version)}
                </span>
                <span class="badge" title="System version of the last change">
                    {format!("sys {}", v.system_version)}
                </span>
                {v.deleted.then(|| view! { <span class="badge badge-bad">"deleted"</span> })}
            </div>
        </header>
        <dl class="fields">
            <div>
                <dt>"Units"</dt>
                <dd>{if v.units.is_empty() { "—".to_string() } else { v.units.clone() }}</dd>
            </div>
            <div>
                <dt>"Locator"</dt>
                <dd class="mono">{v.locator.clone().unwrap_or_else(|| "—".to_string())}</dd>
            </div>
            <div>
                <dt>"Source"</dt>
                <dd>{v.source_system.clone()}</dd>
            </div>
            <div>
                <dt>"Last updated"</dt>
                <dd>
                    <time datetime=v.last_updated.clone()>{short_timestamp(&v.last_updated)}</time>
                </dd>
            </div>
            <div class="field-wide">
                <dt>"Description"</dt>
                <dd>{v.description.clone()}</dd>
            </div>
        </dl>
        {device}
        {editable}
        <h2 class="section-title">"Access paths"</h2>
        <PathTable paths actions=path_actions />
        {add_path}
        {past}
        <h2 class="section-title">"History"</h2>
        <Timeline name=v.name.clone() entries=detail.history />
    }
    .into_any()
}
