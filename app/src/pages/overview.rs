//! The Overview page: is my site all right? The selected system's key live values with their
//! quality, how its devices answer (failover included), raised alarms, bus health and the
//! structure in summary, updated live; then the installation's facts (version, database,
//! schema, system version, uptime).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::field::get_bus_overview;
use crate::api::protections::{AlarmSnapshot, alarm_overview};
use crate::api::system::{get_overview, get_site_glance};
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use crate::pages::protections::alarms::raised_summary;
use model::error::AppError;
use model::field::{BusOverview, ConnectionState};
use model::profiles::AlarmRow;
use model::protections::AlarmState;
use model::site::glance::{KeyValue, SiteGlance};
use model::site::live::Quality;
use model::system::{Overview, format_uptime, short_timestamp};

/// How often the live parts are read again once hydrated.
const LIVE_REFRESH: Duration = Duration::from_secs(2);

#[component]
pub fn OverviewPage() -> AnyView {
    let query = use_query_map();
    let system = move || query.with(|q| q.get("system"));
    let glance = Resource::new(system, get_site_glance);
    let alarms = Resource::new(|| (), |_| alarm_overview());
    let buses = Resource::new(|| (), |_| get_bus_overview());
    let overview = Resource::new(|| (), |_| get_overview());
    let (refreshing, set_refreshing) = signal(false);
    let refetch_live = move || {
        glance.refetch();
        alarms.refetch();
        buses.refetch();
    };
    refresh_every(LIVE_REFRESH, refetch_live);

    // Without JavaScript the form reloads the page (GET /), which reads everything again.
    // Once hydrated, it refetches through the server functions instead.
    let on_refresh = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        refetch_live();
        overview.refetch();
    };

    view! {
        <Title text="Overview" />
        <section class="page" aria-labelledby="overview-title">
            <header class="page-header">
                <div>
                    <h1 id="overview-title">"Overview"</h1>
                    <p class="muted">
                        "Is the site all right? Live values, devices, alarms and buses."
                    </p>
                </div>
                <form method="get" action="/" on:submit=on_refresh class="page-actions">
                    {move || {
                        system().map(|s| view! { <input type="hidden" name="system" value=s /> })
                    }}
                    <button
                        type="submit"
                        class="button"
                        aria-busy=move || refreshing.get().to_string()
                    >
                        <span aria-hidden="true" class="icon" class:spin=refreshing>
                            "↻"
                        </span>
                        " Refresh"
                    </button>
                </form>
            </header>
            <Transition fallback=|| {
                view! { <p class="muted">"Reading the site…"</p> }
            }>
                {move || Suspend::new(async move {
                    match glance.await {
                        Ok(glance) => view! { <SiteAtAGlance glance /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <AlarmsAndBuses alarms buses />
            <h2 class="section-title">"Installation"</h2>
            <Transition
                fallback=|| view! { <p class="muted">"Reading…"</p> }
                set_pending=set_refreshing
            >
                {move || Suspend::new(async move {
                    match overview.await {
                        Ok(facts) => view! { <OverviewFacts facts /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// The raised alarms and the buses' health, side by side.
#[component]
fn AlarmsAndBuses(
    alarms: Resource<Result<AlarmSnapshot, AppError>>,
    buses: Resource<Result<BusOverview, AppError>>,
) -> AnyView {
    view! {
        <div class="glance-columns">
            <Transition fallback=|| {
                view! { <p class="muted">"Reading the alarms…"</p> }
            }>
                {move || Suspend::new(async move {
                    match alarms.await {
                        Ok(overview) => view! { <AlarmSummary rows=overview.rows /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| {
                view! { <p class="muted">"Reading the buses…"</p> }
            }>
                {move || Suspend::new(async move {
                    match buses.await {
                        Ok(buses) => view! { <BusHealth buses /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </div>
    }
    .into_any()
}

/// The selected system: a selector when there are several, its key values, device health and
/// structure.
#[component]
fn SiteAtAGlance(glance: SiteGlance) -> AnyView {
    let Some(system) = glance.system.clone() else {
        return view! {
            <p class="muted">
                "The site has no system yet. " <a href="/site/import">"Import a config.yaml"</a>
                " or create one on the " <a href="/site">"Site"</a> " page."
            </p>
        }
        .into_any();
    };
    let selector = (glance.systems.len() > 1).then(|| {
        let current = system.id.clone();
        // Hydrated, choosing a system shows it at once (an inline `onchange` attribute would be
        // blocked by the Content-Security-Policy); without JavaScript the Show button does.
        let navigate = leptos_router::hooks::use_navigate();
        let on_change = move |ev| {
            let system = event_target_value(&ev);
            let query = format!("/?system={}", leptos_router::location::Url::escape(&system));
            navigate(&query, Default::default());
        };
        view! {
            <form method="get" action="/" class="inline-form">
                <label class="field">
                    <span class="field-label">"System"</span>
                    <select name="system" on:change=on_change>
                        {glance
                            .systems
                            .iter()
                            .map(|s| {
                                view! {
                                    <option value=s.id.clone() selected=s.id == current>
                                        {s.name.clone()}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                </label>
                <noscript>
                    <button type="submit" class="button button-secondary">
                        "Show"
                    </button>
                </noscript>
            </form>
        }
    });
    let site_href = format!("/site?system={}", system.id);
    let live_note = match (&glance.live_message, glance.period_ms) {
        (Some(message), _) => format!("No live values: {message}."),
        (None, Some(ms)) => format!("Live, read every {:.0} s.", ms as f64 / 1000.0),
        (None, None) => String::new(),
    };
    view! {
        <div class="glance-head">
            <div>
                <h2 class="section-title">{system.name.clone()}</h2>
                <p class="muted">
                    <span class="mono">{system.id.clone()}</span>
                    {format!(" · {} · ", system.timezone)}
                    <span data-testid="live-note">{live_note}</span>
                </p>
            </div>
            {selector}
        </div>
        <KeyValues values=glance.key_values.clone() />
        <div class="glance-columns">
            <section class="glance-card" aria-labelledby="glance-devices">
                <h3 id="glance-devices">"Devices"</h3>
                <DeviceHealthView glance=glance.clone() />
            </section>
            <section class="glance-card" aria-labelledby="glance-structure">
                <h3 id="glance-structure">"Structure"</h3>
                <dl class="glance-list" data-testid="glance-structure">
                    <dt>"Inverter arrays"</dt>
                    <dd class="num">{system.inverter_arrays}</dd>
                    <dt>"Inverters"</dt>
                    <dd class="num">{system.inverters}</dd>
                    <dt>"Battery arrays"</dt>
                    <dd class="num">{system.battery_arrays}</dd>
                    <dt>"Packs"</dt>
                    <dd class="num">{system.battery_packs}</dd>
                    <dt>"Meters"</dt>
                    <dd class="num">{system.meters}</dd>
                </dl>
                <ul class="plain-list">
                    {glance
                        .attachments
                        .iter()
                        .map(|(battery, inverter)| {
                            view! { <li>{format!("{battery} → attached to {inverter}")}</li> }
                        })
                        .collect_view()}
                </ul>
                <p>
                    <a href=site_href>"Open the site"</a>
                </p>
            </section>
        </div>
    }
    .into_any()
}

/// The key values as cards: the value with its unit, its quality, and what it is made of.
#[component]
fn KeyValues(values: Vec<KeyValue>) -> AnyView {
    if values.is_empty() {
        return ().into_any();
    }
    view! {
        <dl class="key-values" data-testid="key-values">
            {values.into_iter().map(|v| view! { <KeyValueCard value=v /> }).collect_view()}
        </dl>
    }
    .into_any()
}

#[component]
fn KeyValueCard(value: KeyValue) -> AnyView {
    let shown = match value.value {
        Some(v) => format_value(v, value.figure.unit().symbol()),
        None => "—".to_string(),
    };
    let (badge, class) = match (value.quality, value.reporting == value.expected) {
        (None, _) => ("no value", "badge badge-bad"),
        (Some(Quality::Stale), _) => ("stale", "badge badge-warn"),
        (Some(Quality::Good), false) => ("partial", "badge badge-warn"),
        (Some(Quality::Good), true) => ("good", "badge badge-good"),
    };
    let age = value
        .age_ms
        .map(|ms| format!(" · {:.1} s old", ms as f64 / 1000.0))
        .unwrap_or_default();
    let detail = format!(
        "{} ({} of {} reporting){age}",
        value.source, value.reporting, value.expected
    );
    view! {
        <div class="fact" data-figure=format!("{:?}", value.figure)>
            <dt>{value.figure.label()}</dt>
            <dd class="fact-value num">{shown} " " <span class=class>{badge}</span></dd>
            <dd class="fact-detail">{detail}</dd>
            {value.figure.sign().map(|sign| view! { <dd class="fact-detail muted">{sign}</dd> })}
        </div>
    }
    .into_any()
}

/// Watts as W or kW (three significant figures), percent as is.
fn format_value(value: f64, unit: &str) -> String {
    match unit {
        "W" if value.abs() >= 1000.0 => format!("{:.2} kW", value / 1000.0),
        "W" => format!("{value:.0} W"),
        "%" => format!("{value:.1} %"),
        unit => format!("{value:.2} {unit}"),
    }
}

#[component]
fn DeviceHealthView(glance: SiteGlance) -> AnyView {
    if glance.live_message.is_some() {
        return view! { <p class="muted">"Not polled by this server."</p> }.into_any();
    }
    let health = glance.health;
    let failing = (!health.failing_devices.is_empty()).then(|| {
        view! {
            <p class="text-bad" role="status">
                "Failing: "
                {health.failing_devices.join(", ")}
            </p>
        }
    });
    let failover = (!health.failover_packs.is_empty()).then(|| {
        view! {
            <p class="text-warn" role="status">
                "On a failover adapter: "
                {health.failover_packs.join(", ")}
            </p>
        }
    });
    view! {
        <dl class="glance-list" data-testid="device-health">
            <dt>"Answering"</dt>
            <dd class="num">{health.answering}</dd>
            <dt>"Failing"</dt>
            <dd class="num">{health.failing}</dd>
            <dt>"Waiting for a first answer"</dt>
            <dd class="num">{health.waiting}</dd>
            <dt>"Not polled"</dt>
            <dd class="num">{health.not_polled}</dd>
        </dl>
        {failing}
        {failover}
    }
    .into_any()
}

/// Raised alarm levels per severity, with the link to the alarms.
#[component]
fn AlarmSummary(rows: Vec<AlarmRow>) -> AnyView {
    let raised: Vec<AlarmRow> = rows
        .into_iter()
        .filter(|r| r.view.state != AlarmState::Normal)
        .collect();
    let text = if raised.is_empty() {
        "No alarms: every level is normal.".to_string()
    } else {
        raised_summary(&raised)
    };
    view! {
        <section class="glance-card" aria-labelledby="glance-alarms">
            <h3 id="glance-alarms">"Alarms"</h3>
            <p data-testid="glance-alarms" class:text-bad=!raised.is_empty()>
                {text}
            </p>
            <p>
                <a href="/alarms">"Open the alarms"</a>
            </p>
        </section>
    }
    .into_any()
}

/// Every configured bus: its state, request and error rates.
#[component]
fn BusHealth(buses: BusOverview) -> AnyView {
    let body = if !buses.configured {
        view! { <p class="muted">"No field configuration: no registry buses are polled."</p> }
            .into_any()
    } else {
        view! {
            <table class="data-table compact" data-testid="glance-buses">
                <thead>
                    <tr>
                        <th scope="col">"Bus"</th>
                        <th scope="col">"State"</th>
                        <th scope="col" class="num">
                            "Requests/s"
                        </th>
                        <th scope="col" class="num">
                            "Errors/s"
                        </th>
                    </tr>
                </thead>
                <tbody>
                    {buses
                        .buses
                        .into_iter()
                        .map(|bus| {
                            let good = bus.state == ConnectionState::Connected;
                            view! {
                                <tr>
                                    <td class="mono">{bus.name}</td>
                                    <td>
                                        <span class=if good {
                                            "badge badge-good"
                                        } else {
                                            "badge badge-warn"
                                        }>{bus.state.as_str()}</span>
                                    </td>
                                    <td class="num">{format!("{:.1}", bus.requests_per_s)}</td>
                                    <td class="num">{format!("{:.1}", bus.errors_per_s)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="glance-card" aria-labelledby="glance-buses-title">
            <h3 id="glance-buses-title">"Buses"</h3>
            {body}
            <p>
                <a href="/buses">"Open the buses"</a>
            </p>
        </section>
    }
    .into_any()
}

/// The installation's facts as a grid of labelled cards.
#[component]
fn OverviewFacts(facts: Overview) -> AnyView {
    let schema_current = facts.schema_current();
    let read_at = time_of_day(&facts.server_time);
    let version_updated = short_timestamp(&facts.system_version_updated);
    view! {
        <p class="read-at muted" data-server-time=facts.server_time.clone()>
            "Read at "
            <time datetime=facts.server_time.clone()>{read_at}</time>
        </p>
        <dl class="facts">
            <div class="fact">
                <dt>"Product version"</dt>
                <dd class="fact-value">{facts.product_version.clone()}</dd>
            </div>
            <div class="fact">
                <dt>"Database"</dt>
                <dd class="fact-value">{facts.database.backend.label()}</dd>
                <dd class="fact-detail mono" title="Location">
                    {facts.database.location.clone()}
                </dd>
            </div>
            <div class="fact">
                <dt>"Schema"</dt>
                <dd class="fact-value">
                    <span class="num">{facts.schema_applied}</span>
                    " of "
                    <span class="num">{facts.schema_known}</span>
                    " migrations "
                    {if schema_current {
                        view! { <span class="badge badge-good">"current"</span> }.into_any()
                    } else {
                        view! { <span class="badge badge-warn">"pending"</span> }.into_any()
                    }}
                </dd>
                <dd class="fact-detail mono">
                    {facts.schema_latest.clone().unwrap_or_else(|| "none applied".into())}
                </dd>
            </div>
            <div class="fact">
                <dt>"System version"</dt>
                <dd class="fact-value num" data-testid="system-version">
                    {facts.system_version}
                </dd>
                <dd class="fact-detail">"changed " {version_updated}</dd>
            </div>
            <div class="fact">
                <dt>"Server uptime"</dt>
                <dd class="fact-value">{format_uptime(facts.uptime_seconds)}</dd>
            </div>
        </dl>
    }
    .into_any()
}

/// `HH:MM:SS UTC` from an RFC 3339 timestamp (shown as is if it is not one).
fn time_of_day(rfc3339: &str) -> String {
    match rfc3339.get(11..19) {
        Some(time) if rfc3339.len() >= 19 => format!("{time} UTC"),
        _ => rfc3339.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_read_time_shows_hours_minutes_seconds() {
        assert_eq!(time_of_day("2026-11-24T06:12:03.123+00:00"), "06:12:03 UTC");
        assert_eq!(time_of_day("garbage"), "garbage");
    }

    #[test]
    fn power_reads_in_watts_or_kilowatts() {
        assert_eq!(format_value(950.0, "W"), "950 W");
        assert_eq!(format_value(-1_234.0, "W"), "-1.23 kW");
        assert_eq!(format_value(56.25, "%"), "56.2 %");
    }
}
