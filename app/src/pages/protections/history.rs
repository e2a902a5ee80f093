//! The deployment history of the Protections page with per-field results, and the outcome of
//! one deployment (also shown right after a deploy).

use leptos::prelude::*;

use crate::components::scroll_region::ScrollRegion;

use super::{clock, number};
use crate::api::protections::{deployment_history, get_deployment};
use crate::components::error_view::ErrorPanel;
use model::field::format_number;
use model::profiles::{
    DeploymentDetail, DeploymentField, DeploymentStatus, DeploymentSummary, FieldResult,
};

/// The history of deployments; a row opens its per-field results.
#[component]
pub(super) fn DeploymentsPanel(changed: RwSignal<u64>) -> AnyView {
    let history = Resource::new(move || changed.get(), |_| deployment_history());
    let selected = RwSignal::new(None::<i64>);
    let detail = Resource::new(
        move || selected.get(),
        |id| async move {
            match id {
                Some(id) => get_deployment(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <section class="panel" aria-labelledby="deployments-title">
            <h2 id="deployments-title" class="section-title">
                "Deployments"
            </h2>
            <Transition fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(list) if list.is_empty() => {
                            view! { <p class="muted">"Nothing deployed yet."</p> }.into_any()
                        }
                        Ok(list) => view! { <HistoryTable list selected /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(Some(detail)) => view! { <DeploymentOutcome detail /> }.into_any(),
                        Ok(None) => ().into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

#[component]
fn HistoryTable(list: Vec<DeploymentSummary>, selected: RwSignal<Option<i64>>) -> AnyView {
    view! {
        <ScrollRegion label="Deployments" short=true>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col" class="num">
                            "#"
                        </th>
                        <th scope="col">"Finished (UTC)"</th>
                        <th scope="col">"Profile"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col" class="num">
                            "Written"
                        </th>
                        <th scope="col" class="num">
                            "Failed"
                        </th>
                        <th scope="col">"By"</th>
                        <th scope="col">"Message"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .into_iter()
                        .map(|d| {
                            let id = d.id;
                            view! {
                                // The whole row opens the deployment (the number is its
                                // button, for the keyboard).
                                <tr
                                    class="row-opens"
                                    class:selected=move || selected.get() == Some(id)
                                    on:click=move |_| selected.set(Some(id))
                                >
                                    <td class="num">
                                        <button
                                            type="button"
                                            class="button-link"
                                            on:click=move |_| selected.set(Some(id))
                                            aria-label=format!("Show deployment {id}")
                                        >
                                            {id}
                                        </button>
                                    </td>
                                    <td class="num nowrap" title=d.finished_at.clone()>
                                        {format!(
                                            "{} {}",
                                            d.finished_at.get(0..10).unwrap_or_default(),
                                            clock(&d.finished_at),
                                        )}
                                    </td>
                                    <td>{format!("{} v{}", d.profile, d.profile_version)}</td>
                                    <td>
                                        <span class=if d.status == DeploymentStatus::Succeeded {
                                            "badge badge-good"
                                        } else {
                                            "badge badge-bad"
                                        }>{d.status.as_str()}</span>
                                    </td>
                                    <td class="num">{d.written}</td>
                                    <td class="num">{d.failed}</td>
                                    <td>{d.deployed_by.clone()}</td>
                                    <td class="message">{d.message.clone()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </ScrollRegion>
    }
    .into_any()
}

/// One deployment's outcome and its fields (written, failed, restored; unchanged ones folded).
#[component]
pub(super) fn DeploymentOutcome(detail: DeploymentDetail) -> AnyView {
    let DeploymentDetail { summary, fields } = detail;
    let ok = summary.status == DeploymentStatus::Succeeded;
    let headline = if ok {
        format!(
            "Deployment #{} succeeded: {} field(s) written and confirmed by read-back.",
            summary.id, summary.written
        )
    } else {
        format!("Deployment #{} failed: {}", summary.id, summary.message)
    };
    let shown: Vec<_> = fields
        .into_iter()
        .filter(|f| f.status != FieldResult::Unchanged && f.status != FieldResult::ConsoleOnly)
        .collect();
    view! {
        <div
            class=if ok { "deploy-outcome ok" } else { "deploy-outcome bad" }
            role="status"
            data-testid="deploy-outcome"
        >
            <p>
                <strong>{headline}</strong>
            </p>
            {(!shown.is_empty()).then(|| outcome_fields(shown))}
        </div>
    }
    .into_any()
}

/// The fields a deployment wrote, failed or restored, with their values before, intended and read
/// back.
fn outcome_fields(shown: Vec<DeploymentField>) -> AnyView {
    view! {
        <ScrollRegion label="Fields of this deployment" short=true>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col" class="num">
                            "Before"
                        </th>
                        <th scope="col" class="num">
                            "Intended"
                        </th>
                        <th scope="col" class="num">
                            "Read back"
                        </th>
                        <th scope="col">"Result"</th>
                    </tr>
                </thead>
                <tbody>
                    {shown
                        .into_iter()
                        .map(|f| {
                            let class = format!("result-{}", f.status.as_str());
                            let rack = f.rack.map(|rack| format!(" (rack {rack})"));
                            view! {
                                <tr class=class>
                                    <td>
                                        <code>{f.path}</code>
                                        {rack}
                                    </td>
                                    <td class="num">{number(f.before)}</td>
                                    <td class="num">{format_number(f.intended)}</td>
                                    <td class="num">{number(f.read_back)}</td>
                                    <td>
                                        {match f.error {
                                            Some(error) => format!("{}: {error}", f.status.as_str()),
                                            None => f.status.as_str().to_string(),
                                        }}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </ScrollRegion>
    }
    .into_any()
}
