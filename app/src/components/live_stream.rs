//! `follow_live`: keep live values current in the browser by following the server's
//! `/api/v1/live/stream` (server-sent events, read through gloo-net) for as long as the calling
//! component lives.

use leptos::prelude::*;

use model::field::LiveValue;

/// Calls `on_values` with the named variables' live values about once a second, once hydrated.
/// Nothing happens on the server (effects do not run there): the page renders the values it has,
/// which is also what a browser without JavaScript keeps.
pub fn follow_live(names: Vec<String>, on_values: impl Fn(Vec<LiveValue>) + Clone + 'static) {
    if names.is_empty() {
        return;
    }
    Effect::new(move |_| browser::follow(names.clone(), on_values.clone()));
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    use futures_util::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::on_cleanup;

    use model::field::LiveValue;

    pub(super) fn follow(names: Vec<String>, on_values: impl Fn(Vec<LiveValue>) + 'static) {
        // Registry names are identifiers, so they need no URL escaping.
        let url = format!("/api/v1/live/stream?names={}", names.join(","));
        let Ok(mut source) = EventSource::new(&url) else {
            return;
        };
        let Ok(mut events) = source.subscribe("live") else {
            return;
        };
        // The EventSource is not `Send`, so the cleanup cannot close it directly: it raises a
        // flag, and the task drops (closes) the source at its next event, within a second.
        let stop = Arc::new(AtomicBool::new(false));
        let stop_on_cleanup = stop.clone();
        on_cleanup(move || stop_on_cleanup.store(true, Ordering::Relaxed));
        leptos::task::spawn_local(async move {
            // The browser reconnects by itself after a dropped connection; an error here means
            // it gave up (the server refused the stream), and the page keeps its last values.
            while let Some(Ok((_, message))) = events.next().await {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let Some(text) = message.data().as_string() else {
                    continue;
                };
                if let Ok(values) = serde_json::from_str::<Vec<LiveValue>>(&text) {
                    on_values(values);
                }
            }
            drop(source);
        });
    }
}

#[cfg(not(feature = "hydrate"))]
mod browser {
    use model::field::LiveValue;

    /// On the server the effect never runs; this only keeps both builds alike.
    pub(super) fn follow(_names: Vec<String>, _on_values: impl Fn(Vec<LiveValue>) + 'static) {}
}
