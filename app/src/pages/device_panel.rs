//! The "Device" panel of the variable detail page: read the value from the device now and, for
//! writable configuration variables, write a new value after a confirmation showing old and new.

use leptos::prelude::*;

use crate::api::field::{ReadVariableNow, WriteVariable};
use crate::components::error_view::ErrorPanel;
use model::field::{LiveValue, format_values};

/// A number typed by the operator, or why it is not one.
fn parse_value(text: &str) -> Result<f64, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("enter a number".into());
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a number"))
}

fn reading(value: &LiveValue, units: &str) -> String {
    format!("{} {units}", format_values(&value.values))
        .trim()
        .to_string()
}

#[component]
pub fn DevicePanel(name: String, units: String, writable: bool) -> impl IntoView {
    let read = ServerAction::<ReadVariableNow>::new();
    let write = ServerAction::<WriteVariable>::new();
    let (draft, set_draft) = signal(String::new());
    // Set when the operator asked to review a write: the value to write.
    let (pending, set_pending) = signal(None::<f64>);
    let parsed = move || parse_value(&draft.get());

    let read_name = name.clone();
    let on_read = move |_| {
        read.dispatch(ReadVariableNow {
            name: read_name.clone(),
        });
    };
    let review_name = name.clone();
    let on_review = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Ok(value) = parsed() {
            // The confirmation shows what the device holds now, so read it first.
            read.dispatch(ReadVariableNow {
                name: review_name.clone(),
            });
            set_pending.set(Some(value));
        }
    };
    let write_name = name.clone();
    let on_confirm = move |_| {
        if let Some(value) = pending.get() {
            write.dispatch(WriteVariable {
                name: write_name.clone(),
                values: vec![value],
            });
            set_pending.set(None);
        }
    };
    let units_read = units.clone();
    let units_confirm = units.clone();
    let units_written = units.clone();

    view! {
        <section class="device-panel" aria-labelledby="device-title">
            <h2 id="device-title" class="section-title">"Device"</h2>
            <div class="device-row">
                <button type="button" class="button button-secondary" on:click=on_read
                    disabled=move || read.pending().get()>
                    "Read now"
                </button>
                <span class="device-reading" aria-live="polite">
                    {move || match read.value().get() {
                        Some(Ok(value)) => view! {
                            <span class="live">
                                <span class=format!("q-dot q-{}", value.quality.as_str()) role="img" aria-label=value.quality.as_str()></span>
                                <strong data-testid="device-value">{reading(&value, &units_read)}</strong>
                                <span class="muted">{format!(" via {}", value.source)}</span>
                            </span>
                        }.into_any(),
                        Some(Err(error)) => view! { <ErrorPanel error /> }.into_any(),
                        None => view! { <span class="muted">"Not read yet."</span> }.into_any(),
                    }}
                </span>
            </div>
            {writable.then(|| view! {
                <form class="device-write" on:submit=on_review aria-label="Write to the device">
                    <label for="device-new-value">"New value"</label>
                    <input id="device-new-value" type="text" inputmode="decimal" autocomplete="off"
                        prop:value=draft
                        on:input=move |ev| { set_draft.set(event_target_value(&ev)); set_pending.set(None); }
                        aria-invalid=move || (!draft.get().is_empty() && parsed().is_err()).to_string() />
                    <span class="unit">{units.clone()}</span>
                    <button type="submit" class="button" disabled=move || parsed().is_err() || write.pending().get()>
                        "Review write"
                    </button>
                    {move || (!draft.get().is_empty()).then(|| parsed().err()).flatten().map(|message| view! {
                        <p class="field-error" role="alert">{message}</p>
                    })}
                </form>
            })}
            {move || pending.get().map(|new| {
                let old = match read.value().get() {
                    Some(Ok(value)) => reading(&value, &units_confirm),
                    _ => "(reading…)".to_string(),
                };
                let new_text = format!("{} {}", format_values(&[new]), units_confirm).trim().to_string();
                view! {
                    <div class="confirm" role="group" aria-label="Confirm the write">
                        <p>
                            "The device holds " <del data-testid="old-value">{old}</del>
                            "; write " <ins data-testid="new-value">{new_text}</ins> "?"
                        </p>
                        <button type="button" class="button" on:click=on_confirm.clone()>"Write to device"</button>
                        <button type="button" class="button button-secondary" on:click=move |_| set_pending.set(None)>"Cancel"</button>
                    </div>
                }
            })}
            {move || match write.value().get() {
                Some(Ok(outcome)) => Some(view! {
                    <p class=if outcome.confirmed { "write-result ok" } else { "write-result bad" } role="status">
                        {format!(
                            "Wrote {} {}; the device now holds {} {} ({}).",
                            format_values(&outcome.written), units_written,
                            format_values(&outcome.read_back), units_written,
                            if outcome.confirmed { "confirmed" } else { "does not match" }
                        )}
                    </p>
                }.into_any()),
                Some(Err(error)) => Some(view! { <ErrorPanel error /> }.into_any()),
                None => None,
            }}
        </section>
    }
}
