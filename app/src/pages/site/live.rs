//! The State column of the Site page's device tables: each inverter's, pack's and meter's live
//! state (answering, failing, failover, not polled) with the adapter that serves it and why,
//! read from the server's site I/O and refreshed every few seconds.

use std::time::Duration;

use leptos::prelude::*;

use super::SiteCtx;
use model::error::AppError;
use model::site::live::SiteLive;

/// How often the browser reads the live states again (the poll cycle is 1 s by default).
pub(super) const LIVE_REFRESH: Duration = Duration::from_secs(2);

/// What `get_site_live` answered: the live states, or none when this server does not poll.
pub(super) type LiveStates = Resource<Result<Option<SiteLive>, AppError>>;

/// One device's state: a badge with one word and, below it, the sentence behind it. Each cell
/// waits on its own, so a refresh redraws the cells and never the tables around them.
#[component]
pub(super) fn LiveStateCell(device_id: String, ctx: SiteCtx) -> AnyView {
    view! {
        <td class="live-state">
            <Transition fallback=|| {
                view! { <span class="badge">"…"</span> }
            }>
                {move || {
                    let device_id = device_id.clone();
                    Suspend::new(async move { state_view(&ctx.live.await, &device_id) })
                }}
            </Transition>
        </td>
    }
    .into_any()
}

fn state_view(live: &Result<Option<SiteLive>, AppError>, device_id: &str) -> AnyView {
    let (class, label, detail, full) = match live {
        Ok(Some(site)) => match site.devices.iter().find(|d| d.device_id == device_id) {
            Some(device) => {
                let s = device.summary();
                (s.tone.badge_class(), s.label, s.detail, s.full)
            }
            // A device added since the last poll cycle: the site I/O picks it up at the next.
            None => {
                let why = "it is polled from the next cycle".to_string();
                ("badge", "not polled yet", why.clone(), why)
            }
        },
        Ok(None) => {
            let why = "this server does not poll the site".to_string();
            ("badge", "—", why.clone(), why)
        }
        Err(error) => ("badge badge-bad", "unknown", error.plain(), error.plain()),
    };
    view! {
        <span class=class title=full.clone()>
            {label}
        </span>
        <span class="live-state-detail" title=full>
            {detail}
        </span>
    }
    .into_any()
}
