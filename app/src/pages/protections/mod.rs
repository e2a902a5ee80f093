//! The Protections page: the limits of the selected profile in a compact grid (max and min side
//! of each quantity, warning / alert / fault with threshold, on-delay, off-delay and enable,
//! hysteresis per side) validated as you type by the same function the server uses; dirty
//! markers and per-row reset; Save, Deploy (after a diff of device against form), Recall
//! current / default / device; profile actions; live alarm badges. The alarms, journal and
//! deployment history sit below. This module owns the page frame and the formatting its parts
//! share; each part has its own file.

pub(crate) mod alarms;
mod cells;
mod deploy;
mod editor;
mod grid;
mod history;
mod outcomes;
mod state;
mod toolbar;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::protections::{grid_live, recall_protections};
use crate::components::error_view::ErrorPanel;
use editor::Editor;
use model::error::AppError;
use model::field::format_number;
use model::profiles::ProfileSummary;

/// The profile list as read from the server; the toolbar shows it, saves and deploys refresh it.
type ProfileList = Resource<Result<Vec<ProfileSummary>, AppError>>;

#[component]
pub fn ProtectionsPage() -> AnyView {
    // The limits, then the live state of the quantities they name, so that the first page
    // (JavaScript off too) shows the "Now" column and the alarm badges.
    let initial = Resource::new(
        || (),
        |_| async move {
            let recalled = recall_protections("current".into()).await?;
            let quantities = recalled.protections.keys().cloned().collect();
            let live = grid_live(quantities).await.ok();
            Ok::<_, AppError>((recalled, live))
        },
    );
    view! {
        <Title text="Protections" />
        <section class="page page-wide" aria-labelledby="protections-title">
            <header class="page-header">
                <div>
                    <h1 id="protections-title">"Protections"</h1>
                    <p class="muted">
                        "Limits per quantity and side. Save keeps them in the console; Deploy writes them to the device and reads them back."
                    </p>
                </div>
            </header>
            <Suspense fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok((recalled, live)) => view! { <Editor recalled live /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

/// A number for a table cell, or a dash when there is none.
fn number(value: Option<f64>) -> String {
    value.map(format_number).unwrap_or_else(|| "—".into())
}

/// `2026-11-30T04:01:02.123+00:00` → `04:01:02` (the date is shown when it is not today's).
fn clock(rfc3339: &str) -> String {
    rfc3339.get(11..19).unwrap_or(rfc3339).to_string()
}
