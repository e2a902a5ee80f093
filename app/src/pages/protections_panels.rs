//! The lower half of the Protections page: the Alarms panel (raised levels by severity with
//! acknowledgement, and the journal), the deployment history with per-field results, and the
//! outcome of the deploy just made.

use leptos::prelude::*;

use crate::api::protections::{
    AcknowledgeAlarm, alarm_overview, deployment_history, get_deployment,
};
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use model::field::format_number;
use model::profiles::{AlarmRow, DeploymentDetail, DeploymentSummary, JournalEntry};
use model::protections::AlarmState;

const REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

fn number(value: Option<f64>) -> String {
    value.map(format_number).unwrap_or_else(|| "—".into())
}

/// `2026-11-30T04:01:02.123+00:00` → `04:01:02` (the date is shown when it is not today's).
fn clock(rfc3339: &str) -> String {
    rfc3339.get(11..19).unwrap_or(rfc3339).to_string()
}

#[component]
pub fn AlarmsPanel() -> impl IntoView {
    let overview = Resource::new(|| (), |_| alarm_overview());
    let acknowledge = ServerAction::<AcknowledgeAlarm>::new();
    refresh_every(REFRESH, move || overview.refetch());
    Effect::new(move |_| {
        if acknowledge.version().get() > 0 {
            overview.refetch();
        }
    });
    view! {
        <section class="panel alarms-panel" aria-labelledby="alarms-title">
            <h2 id="alarms-title" class="section-title">"Alarms"</h2>
            {move || acknowledge.value().get().and_then(|r| r.err()).map(|error| view! { <ErrorPanel error /> })}
            <Transition fallback=|| view! { <p class="muted">"Reading…"</p> }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok((rows, journal)) => view! {
                            <RaisedTable rows acknowledge />
                            <JournalTable journal />
                        }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RaisedTable(rows: Vec<AlarmRow>, acknowledge: ServerAction<AcknowledgeAlarm>) -> impl IntoView {
    let raised: Vec<AlarmRow> = rows
        .into_iter()
        .filter(|r| r.view.state != AlarmState::Normal)
        .collect();
    let count = |level: &str| {
        raised
            .iter()
            .filter(|r| r.view.level.as_str() == level && r.view.state != AlarmState::Pending)
            .count()
    };
    let summary = format!(
        "{} fault · {} alert · {} warning",
        count("fault"),
        count("alert"),
        count("warning")
    );
    if raised.is_empty() {
        return view! { <p class="muted" data-testid="alarm-summary">"No alarms: every level is normal."</p> }.into_any();
    }
    view! {
        <p data-testid="alarm-summary">{summary}</p>
        <div class="table-wrap">
            <table class="data-table">
                <thead><tr>
                    <th scope="col">"Level"</th><th scope="col">"Quantity"</th><th scope="col">"State"</th>
                    <th scope="col" class="num">"Value"</th><th scope="col" class="num">"Limit"</th>
                    <th scope="col" class="num">"For"</th><th scope="col">"Acknowledge"</th>
                </tr></thead>
                <tbody>
                    {raised.into_iter().map(|row| {
                        let view = row.view.clone();
                        let state_text = match view.state {
                            AlarmState::Pending => format!("pending ({} s left)", view.remaining_ms.unwrap_or(0).div_ceil(1000)),
                            AlarmState::Recovering => format!("recovering ({} s left)", view.remaining_ms.unwrap_or(0).div_ceil(1000)),
                            AlarmState::Active => "active".to_string(),
                            AlarmState::Normal => "normal".to_string(),
                        };
                        let raised_now = matches!(view.state, AlarmState::Active | AlarmState::Recovering);
                        let (variable, side, level) = (view.variable.clone(), view.side, view.level);
                        view! {
                            <tr data-testid=format!("raised-{}-{}-{}", view.variable, view.side.as_str(), view.level.as_str())>
                                <td><span class=format!("badge level-badge level-{}", view.level.as_str())>{view.level.label()}</span></td>
                                <td><code>{format!("{}.{}", view.variable, view.side.as_str())}</code></td>
                                <td>{state_text}</td>
                                <td class="num">{number(view.value)}</td>
                                <td class="num">{format_number(view.threshold)}</td>
                                <td class="num">{view.since_ms.map(|ms| format!("{} s", ms / 1000)).unwrap_or_default()}</td>
                                <td>
                                    {if row.acknowledged {
                                        view! { <span class="muted">"acknowledged"</span> }.into_any()
                                    } else if raised_now {
                                        view! {
                                            <button type="button" class="button button-secondary button-small"
                                                on:click=move |_| { acknowledge.dispatch(AcknowledgeAlarm { variable: variable.clone(), side, level }); }>
                                                "Acknowledge"
                                            </button>
                                        }.into_any()
                                    } else {
                                        view! { <span class="muted">"—"</span> }.into_any()
                                    }}
                                </td>
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
fn JournalTable(journal: Vec<JournalEntry>) -> impl IntoView {
    view! {
        <details class="journal" open=true>
            <summary>{format!("Journal ({} latest)", journal.len())}</summary>
            {if journal.is_empty() {
                view! { <p class="muted">"Nothing raised, cleared or acknowledged yet."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap table-scroll-short">
                        <table class="data-table">
                            <thead><tr>
                                <th scope="col">"Time (UTC)"</th><th scope="col">"Event"</th><th scope="col">"Level"</th>
                                <th scope="col">"Quantity"</th><th scope="col" class="num">"Value"</th>
                                <th scope="col" class="num">"Limit"</th><th scope="col">"By"</th>
                            </tr></thead>
                            <tbody>
                                {journal.into_iter().map(|entry| view! {
                                    <tr class=format!("journal-{}", entry.event)>
                                        <td class="num" title=entry.at.clone()>{clock(&entry.at)}</td>
                                        <td>{entry.event.clone()}</td>
                                        <td><span class=format!("badge level-badge level-{}", entry.level)>{entry.level.clone()}</span></td>
                                        <td><code>{format!("{}.{}", entry.variable, entry.side)}</code></td>
                                        <td class="num">{number(entry.value)}</td>
                                        <td class="num">{number(entry.threshold)}</td>
                                        <td>{entry.actor.unwrap_or_else(|| "engine".into())}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </details>
    }
}

/// The history of deployments; a row opens its per-field results.
#[component]
pub fn DeploymentsPanel(changed: RwSignal<u64>) -> impl IntoView {
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
            <h2 id="deployments-title" class="section-title">"Deployments"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"Nothing deployed yet."</p> }.into_any(),
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
}

#[component]
fn HistoryTable(list: Vec<DeploymentSummary>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    view! {
        <div class="table-wrap table-scroll-short">
            <table class="data-table">
                <thead><tr>
                    <th scope="col" class="num">"#"</th><th scope="col">"Finished (UTC)"</th><th scope="col">"Profile"</th>
                    <th scope="col">"Status"</th><th scope="col" class="num">"Written"</th><th scope="col" class="num">"Failed"</th>
                    <th scope="col">"By"</th><th scope="col">"Message"</th>
                </tr></thead>
                <tbody>
                    {list.into_iter().map(|d| {
                        let id = d.id;
                        view! {
                            <tr class=move || if selected.get() == Some(id) { "selected" } else { "" }>
                                <td class="num">
                                    <button type="button" class="button-link" on:click=move |_| selected.set(Some(id))
                                        aria-label=format!("Show deployment {id}")>{id}</button>
                                </td>
                                <td class="num" title=d.finished_at.clone()>{clock(&d.finished_at)}</td>
                                <td>{format!("{} v{}", d.profile, d.profile_version)}</td>
                                <td><span class=if d.status == model::profiles::DeploymentStatus::Succeeded { "badge badge-good" } else { "badge badge-bad" }>{d.status.as_str()}</span></td>
                                <td class="num">{d.written}</td>
                                <td class="num">{d.failed}</td>
                                <td>{d.deployed_by.clone()}</td>
                                <td class="message">{d.message.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// One deployment's outcome and its fields (written, failed, restored; unchanged ones folded).
#[component]
pub fn DeploymentOutcome(detail: DeploymentDetail) -> impl IntoView {
    let DeploymentDetail { summary, fields } = detail;
    let ok = summary.status == model::profiles::DeploymentStatus::Succeeded;
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
        .filter(|f| {
            f.status != model::profiles::FieldResult::Unchanged
                && f.status != model::profiles::FieldResult::ConsoleOnly
        })
        .collect();
    view! {
        <div class=if ok { "deploy-outcome ok" } else { "deploy-outcome bad" } role="status" data-testid="deploy-outcome">
            <p><strong>{headline}</strong></p>
            {(!shown.is_empty()).then(|| view! {
                <div class="table-wrap table-scroll-short">
                    <table class="data-table">
                        <thead><tr>
                            <th scope="col">"Field"</th><th scope="col" class="num">"Before"</th>
                            <th scope="col" class="num">"Intended"</th><th scope="col" class="num">"Read back"</th>
                            <th scope="col">"Result"</th>
                        </tr></thead>
                        <tbody>
                            {shown.into_iter().map(|f| { let class = format!("result-{}", f.status.as_str()); view! {
                                <tr class=class>
                                    <td><code>{f.path}</code></td>
                                    <td class="num">{number(f.before)}</td>
                                    <td class="num">{format_number(f.intended)}</td>
                                    <td class="num">{number(f.read_back)}</td>
                                    <td>{match f.error {
                                        Some(error) => format!("{}: {error}", f.status.as_str()),
                                        None => f.status.as_str().to_string(),
                                    }}</td>
                                </tr>
                            }}).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </div>
    }
}
