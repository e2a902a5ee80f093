//! The Alarms panel of the Protections page: raised levels by severity with acknowledgement,
//! and the journal.

use leptos::prelude::*;

use crate::components::scroll_region::ScrollRegion;
use model::auth::Permission;

use super::clock;
use crate::api::protections::{AcknowledgeAlarm, AlarmSnapshot, alarm_overview};
use crate::components::access::IfAllowed;
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use model::profiles::{AlarmRow, JournalEntry};
use model::protections::AlarmState;

/// How often the alarms re-read once hydrated.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// The raised levels and the journal, re-read every second. `title` heads the panel (the
/// Protections page says "Alarms"; the Alarms page, whose title that is, "Raised now").
#[component]
pub(crate) fn AlarmsPanel(#[prop(optional)] title: Option<&'static str>) -> AnyView {
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
            <h2 id="alarms-title" class="section-title">
                {title.unwrap_or("Alarms")}
            </h2>
            {move || {
                acknowledge
                    .value()
                    .get()
                    .and_then(|r| r.err())
                    .map(|error| view! { <ErrorPanel error /> })
            }}
            <Transition fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => {
                            let overview = std::sync::Arc::new(overview);
                            view! {
                                <RaisedTable overview=overview.clone() acknowledge />
                                <JournalTable overview />
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// The raised levels (anything not normal), with a count per severity above them.
#[component]
fn RaisedTable(
    overview: std::sync::Arc<AlarmSnapshot>,
    acknowledge: ServerAction<AcknowledgeAlarm>,
) -> AnyView {
    let raised: Vec<AlarmRow> = overview
        .rows
        .iter()
        .filter(|r| r.view.state != AlarmState::Normal)
        .cloned()
        .collect();
    let summary = raised_summary(&raised);
    if raised.is_empty() {
        return view! {
            <p class="muted" data-testid="alarm-summary">
                "No alarms: every level is normal."
            </p>
        }
        .into_any();
    }
    view! {
        <p data-testid="alarm-summary">{summary}</p>
        <div class="table-wrap">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Level"</th>
                        <th scope="col">"Quantity"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">
                            "Value"
                        </th>
                        <th scope="col" class="num">
                            "Limit"
                        </th>
                        <th scope="col" class="num">
                            "For"
                        </th>
                        <th scope="col">"Acknowledge"</th>
                    </tr>
                </thead>
                <tbody>
                    {raised
                        .into_iter()
                        .map(|row| {
                            let value = overview.with_units(&row.view.variable, row.view.value);
                            let limit = overview
                                .with_units(&row.view.variable, Some(row.view.threshold));
                            view! { <RaisedRow row value limit acknowledge /> }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// "1 fault · 0 alert · 2 warning": raised levels per severity, pending ones not counted.
pub(crate) fn raised_summary(raised: &[AlarmRow]) -> String {
    let count = |level: &str| {
        raised
            .iter()
            .filter(|r| r.view.level.as_str() == level && r.view.state != AlarmState::Pending)
            .count()
    };
    format!(
        "{} fault · {} alert · {} warning",
        count("fault"),
        count("alert"),
        count("warning")
    )
}

/// One raised level: severity, quantity, state, value against limit, and its acknowledgement.
#[component]
fn RaisedRow(
    row: AlarmRow,
    value: String,
    limit: String,
    acknowledge: ServerAction<AcknowledgeAlarm>,
) -> impl IntoView {
    let view = row.view.clone();
    let state_text = match view.state {
        AlarmState::Pending => format!(
            "pending ({} s left)",
            view.remaining_ms.unwrap_or(0).div_ceil(1000)
        ),
        AlarmState::Recovering => format!(
            "recovering ({} s left)",
            view.remaining_ms.unwrap_or(0).div_ceil(1000)
        ),
        AlarmState::Active => "active".to_string(),
        AlarmState::Normal => "normal".to_string(),
    };
    view! {
        <tr data-testid=format!(
            "raised-{}-{}-{}",
            view.variable,
            view.side.as_str(),
            view.level.as_str(),
        )>
            <td>
                <span class=format!(
                    "badge level-badge level-{}",
                    view.level.as_str(),
                )>{view.level.label()}</span>
            </td>
            <td>
                <code>{format!("{}.{}", view.variable, view.side.as_str())}</code>
            </td>
            <td>{state_text}</td>
            <td class="num">{value}</td>
            <td class="num">{limit}</td>
            <td class="num">
                {view.since_ms.map(|ms| format!("{} s", ms / 1000)).unwrap_or_default()}
            </td>
            <td>{acknowledge_cell(row, acknowledge)}</td>
        </tr>
    }
}

/// "acknowledged", the Acknowledge button while the level is raised, or a dash while pending.
fn acknowledge_cell(row: AlarmRow, acknowledge: ServerAction<AcknowledgeAlarm>) -> AnyView {
    let raised_now = matches!(row.view.state, AlarmState::Active | AlarmState::Recovering);
    let (variable, side, level) = (row.view.variable, row.view.side, row.view.level);
    if row.acknowledged {
        view! { <span class="muted">"acknowledged"</span> }.into_any()
    } else if raised_now {
        view! {
            <IfAllowed permission=Permission::AcknowledgeAlarms>
                <button
                    type="button"
                    class="button button-secondary button-small"
                    on:click={
                        let variable = variable.clone();
                        move |_| {
                            acknowledge
                                .dispatch(AcknowledgeAlarm {
                                    variable: variable.clone(),
                                    side,
                                    level,
                                });
                        }
                    }
                >
                    "Acknowledge"
                </button>
            </IfAllowed>
        }
        .into_any()
    } else {
        view! { <span class="muted">"—"</span> }.into_any()
    }
}

/// The latest raise, clear and acknowledge events.
#[component]
fn JournalTable(overview: std::sync::Arc<AlarmSnapshot>) -> AnyView {
    let journal: Vec<JournalEntry> = overview.journal.clone();
    view! {
        <details class="journal" open=true>
            <summary>{format!("Journal ({} latest)", journal.len())}</summary>
            {if journal.is_empty() {
                view! { <p class="muted">"Nothing raised, cleared or acknowledged yet."</p> }
                    .into_any()
            } else {
                view! {
                    <ScrollRegion label="Alarm journal" short=true>
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Time (UTC)"</th>
                                    <th scope="col">"Event"</th>
                                    <th scope="col">"Level"</th>
                                    <th scope="col">"Quantity"</th>
                                    <th scope="col" class="num">
                                        "Value"
                                    </th>
                                    <th scope="col" class="num">
                                        "Limit"
                                    </th>
                                    <th scope="col">"By"</th>
                                </tr>
                            </thead>
                            <tbody>
                                {journal
                                    .into_iter()
                                    .map(|entry| {
                                        view! {
                                            <tr class=format!("journal-{}", entry.event)>
                                                <td class="num nowrap" title=entry.at.clone()>
                                                    {format!(
                                                        "{} {}",
                                                        entry.at.get(0..10).unwrap_or_default(),
                                                        clock(&entry.at),
                                                    )}
                                                </td>
                                                <td>{entry.event.as_str()}</td>
                                                <td>
                                                    <span class=format!(
                                                        "badge level-badge level-{}",
                                                        entry.level,
                                                    )>{entry.level.as_str()}</span>
                                                </td>
                                                <td>
                                                    <code>{format!("{}.{}", entry.variable, entry.side)}</code>
                                                </td>
                                                <td class="num">
                                                    {overview.with_units(&entry.variable, entry.value)}
                                                </td>
                                                <td class="num">
                                                    {overview.with_units(&entry.variable, entry.threshold)}
                                                </td>
                                                <td>{entry.actor.unwrap_or_else(|| "engine".into())}</td>
                                            </tr>
                                        }
                                    })
                                    .collect_view()}
                            </tbody>
                        </table>
                    </ScrollRegion>
                }
                    .into_any()
            }}
        </details>
    }
    .into_any()
}
