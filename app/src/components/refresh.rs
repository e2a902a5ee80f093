//! `refresh_every`: run something periodically in the browser for as long as the calling
//! component lives (live values, bus health).

use std::time::Duration;

use leptos::prelude::*;

/// Calls `tick` every `period` once hydrated, and stops when the component is dropped. Nothing
/// happens on the server: effects do not run there, and the page renders the data it has.
pub fn refresh_every(period: Duration, tick: impl Fn() + Clone + 'static) {
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(tick.clone(), period) {
            on_cleanup(move || handle.clear());
        }
    });
}
