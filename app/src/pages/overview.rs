//! The Overview page: what is running, on which database, at which schema and system version.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::system::get_overview;
use crate::components::error_view::ErrorPanel;
use model::system::{Overview, format_uptime, short_timestamp};

#[component]
pub fn OverviewPage() -> AnyView {
    let overview = Resource::new(|| (), |_| get_overview());
    let (refreshing, set_refreshing) = signal(false);

    // Without JavaScript the form reloads the page (GET /), which reads everything again.
    // Once hydrated, it refetches through the server function instead.
    let on_refresh = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        overview.refetch();
    };

    view! {
        <Title text="Overview" />
        <section class="page" aria-labelledby="overview-title">
            <header class="page-header">
                <div>
                    <h1 id="overview-title">"Overview"</h1>
                    <p class="muted">"This installation at a glance."</p>
                </div>
                <form method="get" action="/" on:submit=on_refresh class="page-actions">
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

/// The facts as a grid of labelled cards.
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
}
