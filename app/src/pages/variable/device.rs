//! The "Device" panel of the variable detail page: the live value of a polled variable (kept
//! current by the live stream), reading the value from the device now and, for writable
//! configuration variables, writing a new value after a confirmation showing old and new.

use leptos::prelude::*;
use model::auth::Permission;

use crate::components::access::IfAllowed;

use crate::api::field::{ReadVariableNow, WriteVariable};
use crate::components::error_view::ErrorPanel;
use crate::components::live_stream::follow_live;
use crate::components::number::parse_number;
use crate::components::password_confirm::SensitiveChangeError;
use model::field::{LiveValue, format_age, format_values};

fn reading(value: &LiveValue, units: &str) -> String {
    format!("{} {units}", format_values(&value.values))
        .trim()
        .to_string()
}

/// The Device panel: the live value, read now, and for writable variables a reviewed write with
/// its read-back. `live` is the latest polled value when the variable is polled.
#[component]
pub(super) fn DevicePanel(
    name: String,
    units: String,
    writable: bool,
    live: Option<LiveValue>,
) -> AnyView {
    // Only a polled variable has a live value to follow.
    let polled = live.is_some();
    let live = RwSignal::new(live);
    if polled {
        let own = name.clone();
        follow_live(vec![name.clone()], move |values| {
            if let Some(value) = values.into_iter().find(|v| v.name == own) {
                live.set(Some(value));
            }
        });
    }
    let read = ServerAction::<ReadVariableNow>::new();
    let write = ServerAction::<WriteVariable>::new();
    // Set when the operator asked to review a write: the value to write.
    let (pending, set_pending) = signal(None::<f64>);
    let write_form = writable.then(|| {
        let (name, units) = (name.clone(), units.clone());
        view! {
            <IfAllowed permission=Permission::WriteDevices>
                <WriteForm read write name=name.clone() units=units.clone() set_pending />
            </IfAllowed>
        }
    });
    view! {
        <section class="device-panel" aria-labelledby="device-title">
            <h2 id="device-title" class="section-title">
                "Device"
            </h2>
            <ReadRow read live name=name.clone() units=units.clone() />
            {write_form}
            <ConfirmWrite read write name units=units.clone() pending set_pending />
            <WriteResult write units />
        </section>
    }
    .into_any()
}

/// The live value of a polled variable: quality, value, units, age and where it came from.
fn live_reading(value: &LiveValue, units: &str) -> AnyView {
    let quality = value.quality.as_str();
    let age = value
        .age_ms
        .map(|ms| format!(", {} old", format_age(ms)))
        .unwrap_or_default();
    let error = value
        .error
        .as_ref()
        .map(|e| format!(" ({e})"))
        .unwrap_or_default();
    view! {
        <span class="live" data-testid="device-live">
            <span class=format!("q-dot q-{quality}") role="img" aria-label=quality></span>
            <strong data-testid="device-live-value">{reading(value, units)}</strong>
            <span class="muted">
                {format!(" live, {quality}{age}, via {}{error}", value.source)}
            </span>
        </span>
    }
    .into_any()
}

/// "Read now" and the value read, with its quality and source; until then, the live value of a
/// polled variable.
#[component]
fn ReadRow(
    read: ServerAction<ReadVariableNow>,
    live: RwSignal<Option<LiveValue>>,
    name: String,
    units: String,
) -> AnyView {
    let on_read = move |_| {
        read.dispatch(ReadVariableNow { name: name.clone() });
    };
    view! {
        <div class="device-row">
            <IfAllowed permission=Permission::ReadDevicesNow>
                <button
                    type="button"
                    class="button button-secondary"
                    on:click=on_read.clone()
                    disabled=move || read.pending().get()
                >
                    "Read now"
                </button>
            </IfAllowed>
            <span class="device-reading" aria-live="polite">
                {move || match read.value().get() {
                    Some(Ok(value)) => {
                        view! {
                            <span class="live">
                                <span
                                    class=format!("q-dot q-{}", value.quality.as_str())
                                    role="img"
                                    aria-label=value.quality.as_str()
                                ></span>
                                <strong data-testid="device-value">
                                    {reading(&value, &units)}
                                </strong>
                                <span class="muted">{format!(" via {}", value.source)}</span>
                            </span>
                        }
                            .into_any()
                    }
                    Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                    None => {
                        live.with(|live| match live {
                            Some(value) => live_reading(value, &units),
                            None => view! { <span class="muted">"Not read yet."</span> }.into_any(),
                        })
                    }
                }}
            </span>
        </div>
    }
    .into_any()
}

/// The new value, checked as you type; "Review write" reads the device and asks to confirm.
#[component]
fn WriteForm(
    read: ServerAction<ReadVariableNow>,
    write: ServerAction<WriteVariable>,
    name: String,
    units: String,
    set_pending: WriteSignal<Option<f64>>,
) -> AnyView {
    let (draft, set_draft) = signal(String::new());
    let parsed = move || parse_number(&draft.get());
    let on_review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(value) = parsed() {
            // The confirmation shows what the device holds now, so read it first.
            read.dispatch(ReadVariableNow { name: name.clone() });
            set_pending.set(Some(value));
        }
    };
    view! {
        <form class="device-write" on:submit=on_review aria-label="Write to the device">
            <label for="device-new-value">"New value"</label>
            <input
                id="device-new-value"
                type="text"
                inputmode="decimal"
                autocomplete="off"
                prop:value=draft
                on:input=move |ev| {
                    set_draft.set(event_target_value(&ev));
                    set_pending.set(None);
                }
                aria-invalid=move || (!draft.get().is_empty() && parsed().is_err()).to_string()
            />
            <span class="unit">{units}</span>
            <button
                type="submit"
                class="button"
                disabled=move || parsed().is_err() || write.pending().get()
            >
                "Review write"
            </button>
            {move || {
                (!draft.get().is_empty())
                    .then(|| parsed().err())
                    .flatten()
                    .map(|message| {
                        view! {
                            <p class="field-error" role="alert">
                                {message.to_string()}
                            </p>
                        }
                    })
            }}
        </form>
    }
    .into_any()
}

/// The confirmation of a reviewed write: what the device holds beside what will be written.
#[component]
fn ConfirmWrite(
    read: ServerAction<ReadVariableNow>,
    write: ServerAction<WriteVariable>,
    name: String,
    units: String,
    pending: ReadSignal<Option<f64>>,
    set_pending: WriteSignal<Option<f64>>,
) -> impl IntoView {
    let on_confirm = move |_| {
        if let Some(value) = pending.get() {
            write.dispatch(WriteVariable {
                name: name.clone(),
                values: vec![value],
            });
            set_pending.set(None);
        }
    };
    move || {
        pending.get().map(|new| {
            let old = match read.value().get() {
                Some(Ok(value)) => reading(&value, &units),
                _ => "(reading…)".to_string(),
            };
            let new_text = format!("{} {}", format_values(&[new]), units)
                .trim()
                .to_string();
            view! {
                <div class="confirm" role="group" aria-label="Confirm the write">
                    <p>
                        "The device holds " <del data-testid="old-value">{old}</del> "; write "
                        <ins data-testid="new-value">{new_text}</ins> "?"
                    </p>
                    <button type="button" class="button" on:click=on_confirm.clone()>
                        "Write to device"
                    </button>
                    <button
                        type="button"
                        class="button button-secondary"
                        on:click=move |_| set_pending.set(None)
                    >
                        "Cancel"
                    </button>
                </div>
            }
        })
    }
}

/// The outcome of the last write: written, read back, and whether they match.
#[component]
fn WriteResult(write: ServerAction<WriteVariable>, units: String) -> impl IntoView {
    move || match write.value().get() {
        Some(Ok(outcome)) => Some(
            view! {
                <p
                    class=if outcome.confirmed { "write-result ok" } else { "write-result bad" }
                    role="status"
                >
                    {format!(
                        "Wrote {} {}; the device now holds {} {} ({}).",
                        format_values(&outcome.written),
                        units,
                        format_values(&outcome.read_back),
                        units,
                        if outcome.confirmed { "confirmed" } else { "does not match" },
                    )}
                </p>
            }
            .into_any(),
        ),
        Some(Err(error)) => Some(view! { <SensitiveChangeError error /> }.into_any()),
        None => None,
    }
}
