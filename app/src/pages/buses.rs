//! The Buses page: per bus its state, traffic, latency and last errors in plain words; the
//! planned block reads; and the registry paths that cannot be polled, with the reason. Tables
//! with nothing focusable inside have a focusable frame (`tabindex="0"`), so that the keyboard
//! can scroll them.

use leptos::prelude::*;

use crate::components::scroll_region::ScrollRegion;
use leptos_meta::Title;

use crate::api::field::get_bus_overview;
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use model::field::{
    BusOverview, BusVerdict, BusView, ConnectionState, UnmappedGroup, format_age, format_number,
};

/// How often the page re-reads the buses once hydrated.
const REFRESH: std::time::Duration = std::time::Duration::from_secs(2);

#[component]
pub fn BusesPage() -> AnyView {
    let overview = Resource::new(|| (), |_| get_bus_overview());
    // `Transition` keeps the old figures on screen while new ones load, so nothing jumps.
    refresh_every(REFRESH, move || overview.refetch());
    view! {
        <Title text="Buses" />
        <section class="page page-wide" aria-labelledby="buses-title">
            <header class="page-header">
                <div>
                    <h1 id="buses-title">"Buses"</h1>
                    <p class="muted">"Field buses, their health, and what is polled over them."</p>
                </div>
            </header>
            <Transition fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(overview) => view! { <BusesView overview /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

fn state_badge(bus: &BusView) -> impl IntoView + use<> {
    let (class, label) = match bus.state {
        ConnectionState::Connected => ("badge badge-good", "connected".to_string()),
        ConnectionState::BackingOff => (
            "badge badge-bad",
            format!(
                "backing off · retry in {}",
                format_age(bus.retry_in_ms.unwrap_or(0))
            ),
        ),
        ConnectionState::Stopped => ("badge badge-warn", "stopped".to_string()),
        ConnectionState::Connecting => ("badge", "connecting".to_string()),
    };
    view! { <span class=class>{label}</span> }
}

fn millis(value: Option<f64>) -> String {
    value.map_or("—".into(), |ms| {
        format!("{} ms", format_number((ms * 10.0).round() / 10.0))
    })
}

/// The whole overview: buses, CAN buses, last errors, planned reads and what is not polled.
#[component]
fn BusesView(overview: BusOverview) -> AnyView {
    if !overview.configured {
        return view! {
            <p class="empty-state">
                "No field configuration: start with " <code>"--field-config FILE"</code>
                ", or with " <code>"--demo"</code> " to poll the built-in simulator."
            </p>
        }
        .into_any();
    }
    let verdict = overview.verdict();
    let groups = overview.unmapped_groups();
    let BusOverview {
        buses,
        can_buses,
        blocks,
        ..
    } = overview;
    view! {
        <Verdict verdict />
        <BusTable buses=buses.clone() />

        {(!can_buses.is_empty()).then(|| view! { <CanBuses buses=can_buses /> })}

        <LastErrors buses />
        <PlannedReads blocks />
        <NotPolled groups />
    }
    .into_any()
}

/// The Modbus buses: state, traffic, latency and counters, one row each.
#[component]
fn BusTable(buses: Vec<BusView>) -> AnyView {
    view! {
        <ScrollRegion label="Buses">
            <table class="data-table" aria-label="Buses">
                <thead>
                    <tr>
                        <th scope="col">"Bus"</th>
                        <th scope="col">"Endpoint"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">
                            "Requests/s"
                        </th>
                        <th scope="col" class="num">
                            "Errors/s"
                        </th>
                        <th scope="col" class="num">
                            "p50"
                        </th>
                        <th scope="col" class="num">
                            "p99"
                        </th>
                        <th scope="col" class="num">
                            "Requests"
                        </th>
                        <th scope="col" class="num">
                            "Timeouts"
                        </th>
                        <th scope="col" class="num">
                            "Exceptions"
                        </th>
                        <th scope="col">"Backing off"</th>
                    </tr>
                </thead>
                <tbody>
                    {buses
                        .iter()
                        .map(|bus| {
                            view! {
                                <tr>
                                    <td class="mono">{bus.name.clone()}</td>
                                    <td class="mono muted">{bus.endpoint.clone()}</td>
                                    <td>{state_badge(bus)}</td>
                                    <td class="num">{format!("{:.1}", bus.requests_per_s)}</td>
                                    <td class="num">{format!("{:.1}", bus.errors_per_s)}</td>
                                    <td class="num">{millis(bus.latency_p50_ms)}</td>
                                    <td class="num">{millis(bus.latency_p99_ms)}</td>
                                    <td class="num">{bus.requests}</td>
                                    <td class="num">{bus.timeouts}</td>
                                    <td class="num">{bus.exceptions}</td>
                                    <td>{backing_off(bus)}</td>
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

/// The units a bus is backing off from, with their retry times, or "none".
fn backing_off(bus: &BusView) -> String {
    if bus.backing_off_units.is_empty() {
        "none".to_string()
    } else {
        bus.backing_off_units
            .iter()
            .map(|(unit, ms)| format!("unit {unit} (retry in {})", format_age(*ms)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The last errors of every bus, in plain words.
#[component]
fn LastErrors(buses: Vec<BusView>) -> impl IntoView {
    let errors: Vec<(String, model::field::BusErrorView)> = buses
        .iter()
        .flat_map(|bus| {
            bus.last_errors
                .iter()
                .map(|e| (bus.name.clone(), e.clone()))
        })
        .collect();
    let list = if errors.is_empty() {
        view! { <p class="muted">"No errors since start."</p> }.into_any()
    } else {
        view! {
            <ul class="error-list">
                {errors
                    .into_iter()
                    .map(|(bus, error)| {
                        view! {
                            <li>
                                <span class="mono">
                                    {format!(
                                        "{bus} · unit {} · {}",
                                        error.unit_id,
                                        error.registers,
                                    )}
                                </span>
                                " — "
                                {error.message}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <h2 class="section-title">"Last errors"</h2>
        {list}
    }
}

/// The planned block reads: bus, unit, table, class, range and how many paths each serves.
#[component]
fn PlannedReads(blocks: Vec<model::field::BlockView>) -> AnyView {
    view! {
        <h2 class="section-title">{format!("Planned reads ({})", blocks.len())}</h2>
        <ScrollRegion label="Planned reads">
            <table class="data-table" aria-label="Planned reads">
                <thead>
                    <tr>
                        <th scope="col">"Bus"</th>
                        <th scope="col" class="num">
                            "Unit"
                        </th>
                        <th scope="col">"Table"</th>
                        <th scope="col">"Class"</th>
                        <th scope="col" class="num">
                            "Start"
                        </th>
                        <th scope="col" class="num">
                            "Registers"
                        </th>
                        <th scope="col" class="num">
                            "Paths"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {blocks
                        .into_iter()
                        .map(|block| {
                            view! {
                                <tr>
                                    <td class="mono">{block.bus}</td>
                                    <td class="num">{block.unit_id}</td>
                                    <td>{block.table}</td>
                                    <td>{block.class}</td>
                                    <td class="num">{block.start}</td>
                                    <td class="num">{block.count}</td>
                                    <td class="num">{block.paths}</td>
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

/// The registry paths the field configuration cannot reach, each with the reason.
#[component]
fn NotPolled(groups: Vec<UnmappedGroup>) -> AnyView {
    let total: usize = groups.iter().map(|g| g.variables.len()).sum();
    if total == 0 {
        return view! {
            <h2 class="section-title">"Not polled"</h2>
            <p class="muted">"Every access path is polled."</p>
        }
        .into_any();
    }
    view! {
        <h2 class="section-title">{format!("Not polled ({total})")}</h2>
        <ul class="unmapped-groups">
            {groups
                .into_iter()
                .map(|group| {
                    let n = group.variables.len();
                    let (class, why) = if group.expected {
                        ("badge", "expected: no data source configured")
                    } else {
                        ("badge badge-bad", "fault: cannot be read as asked")
                    };
                    view! {
                        <li class="unmapped-group">
                            <details>
                                <summary>
                                    <span class="num unmapped-count">
                                        {format!("{n} path{}", if n == 1 { "" } else { "s" })}
                                    </span>
                                    " "
                                    <span class="unmapped-reason">{group.reason.clone()}</span>
                                    " "
                                    <span class=class>{why}</span>
                                </summary>
                                <p class="unmapped-variables">
                                    {group
                                        .variables
                                        .into_iter()
                                        .map(|variable| {
                                            view! {
                                                <a class="mono" href=format!("/registry/{variable}")>
                                                    {variable.clone()}
                                                </a>
                                                " "
                                            }
                                        })
                                        .collect_view()}
                                </p>
                            </details>
                        </li>
                    }
                })
                .collect_view()}
        </ul>
    }
    .into_any()
}

/// The page's first line: all healthy, or each problem.
#[component]
fn Verdict(verdict: BusVerdict) -> impl IntoView {
    let class = if verdict.healthy {
        "notice notice-ok bus-verdict"
    } else {
        "notice notice-bad bus-verdict"
    };
    let details = (verdict.problems.len() > 1).then(|| {
        view! {
            <ul class="bus-problems">
                {verdict.problems.into_iter().map(|p| view! { <li>{p}</li> }).collect_view()}
            </ul>
        }
    });
    view! {
        <div class=class role="status" data-testid="bus-verdict">
            <strong>{verdict.headline}</strong>
            {details}
        </div>
    }
}

/// CAN buses: frames heard, errors (noise on an slcan line included), and every id seen.
#[component]
fn CanBuses(buses: Vec<model::field::CanBusView>) -> AnyView {
    view! {
        <h2 class="section-title">"CAN buses"</h2>
        <ScrollRegion label="CAN buses">
            <table class="data-table" aria-label="CAN buses">
                <thead>
                    <tr>
                        <th scope="col">"Bus"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">
                            "Frames/s"
                        </th>
                        <th scope="col" class="num">
                            "Frames"
                        </th>
                        <th scope="col" class="num">
                            "Errors"
                        </th>
                        <th scope="col">"Ids heard (frames, last seen)"</th>
                        <th scope="col">"Last error"</th>
                    </tr>
                </thead>
                <tbody>
                    {buses
                        .into_iter()
                        .map(|bus| {
                            let badge = match bus.state {
                                ConnectionState::Connected => {
                                    ("badge badge-good", "listening".to_string())
                                }
                                ConnectionState::BackingOff => {
                                    (
                                        "badge badge-bad",
                                        format!(
                                            "backing off · retry in {}",
                                            format_age(bus.retry_in_ms.unwrap_or(0)),
                                        ),
                                    )
                                }
                                ConnectionState::Stopped => {
                                    ("badge badge-warn", "stopped".to_string())
                                }
                                ConnectionState::Connecting => ("badge", "opening".to_string()),
                            };
                            let ids = bus
                                .ids
                                .iter()
                                .map(|seen| {
                                    format!(
                                        "{:#x}{} ({}, {} ago)",
                                        seen.id,
                                        if seen.extended { "x" } else { "" },
                                        seen.frames,
                                        format_age(seen.age_ms),
                                    )
                                })
                                .collect::<Vec<_>>()
                                .join(" · ");
                            view! {
                                <tr>
                                    <td class="mono">{bus.name}</td>
                                    <td>
                                        <span class=badge.0>{badge.1}</span>
                                    </td>
                                    <td class="num">{format!("{:.1}", bus.frames_per_s)}</td>
                                    <td class="num">{bus.frames}</td>
                                    <td class="num">{bus.errors}</td>
                                    <td class="mono small can-ids">
                                        {if ids.is_empty() { "none yet".to_string() } else { ids }}
                                    </td>
                                    <td class="muted">
                                        {bus
                                            .last_errors
                                            .first()
                                            .cloned()
                                            .unwrap_or_else(|| "none".into())}
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
