//! The Alarms page (`/alarms`): the levels the alarm engine raises against the deployed limits,
//! active first, with acknowledgement, and the journal below. The header's alarm indicator on
//! every page links here.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::pages::protections::alarms::AlarmsPanel;

#[component]
pub fn AlarmsPage() -> AnyView {
    view! {
        <Title text="Alarms" />
        <section class="page page-wide" aria-labelledby="alarms-page-title">
            <header class="page-header">
                <div>
                    <h1 id="alarms-page-title">"Alarms"</h1>
                    <p class="muted">
                        "Raised against the deployed limits, live; the journal below. The limits are set on the "
                        <a href="/protections">"Protections"</a> " page."
                    </p>
                </div>
            </header>
            <AlarmsPanel title="Raised now" />
        </section>
    }
    .into_any()
}
