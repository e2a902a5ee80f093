//! A battery array's attachment to an inverter array: its history as a small timeline (newest
//! first, the open one marked), and the form that attaches or re-attaches it (the open
//! attachment ends and stays in the history) or detaches it.

use leptos::prelude::*;

use super::SiteCtx;
use super::device_forms::Parents;
use super::forms::{Choice, FormErrors, close_on_success};
use crate::api::site::{AttachBatteryArray, DetachBatteryArray};
use model::site::tree::AttachmentNode;
use model::system::short_timestamp;

/// "Ground floor (array1)", or the bare id of an array deleted since.
fn array_name(arrays: &Parents, id: &str) -> String {
    arrays.iter().find(|(i, _)| i == id).map_or_else(
        || format!("{id} (deleted)"),
        |(_, name)| format!("{name} ({id})"),
    )
}

/// The battery array's attachments, newest first.
#[component]
pub(super) fn AttachmentHistory(history: Vec<AttachmentNode>, inverter_arrays: Parents) -> AnyView {
    if history.is_empty() {
        return view! { <p class="muted site-empty">"Never attached."</p> }.into_any();
    }
    let open_history = history.len() > 1;
    view! {
        <details class="site-history" open=open_history>
            <summary>{format!("Attachment history ({})", history.len())}</summary>
            <ol class="timeline" aria-label="Attachment history">
                {history
                    .into_iter()
                    .map(|a| {
                        let open = a.detached_at.is_none();
                        let until = a
                            .detached_at
                            .as_deref()
                            .map_or_else(|| "now".to_string(), short_timestamp);
                        view! {
                            <li class="timeline-item">
                                {if open {
                                    view! { <span class="badge badge-good">"attached"</span> }
                                        .into_any()
                                } else {
                                    view! { <span class="badge">"ended"</span> }.into_any()
                                }}
                                <span class="timeline-what">
                                    {format!(
                                        "to {}",
                                        array_name(&inverter_arrays, &a.inverter_array_id),
                                    )}
                                </span> <span class="timeline-meta muted">
                                    <time datetime=a
                                        .attached_since
                                        .clone()>{short_timestamp(&a.attached_since)}</time>
                                    {format!(" → {until}")}
                                </span>
                            </li>
                        }
                    })
                    .collect_view()}
            </ol>
        </details>
    }
    .into_any()
}

const ATTACH_FIELDS: &[&str] = &["inverter_array_id"];

/// Attaches (or re-attaches) the battery array to the inverter array chosen; detaches it.
#[component]
pub(super) fn AttachPanel(
    battery_array_id: String,
    current: Option<String>,
    inverter_arrays: Parents,
    ctx: SiteCtx,
) -> AnyView {
    let attach = ServerAction::<AttachBatteryArray>::new();
    let error = Signal::derive(move || attach.value().get().and_then(Result::err));
    close_on_success(attach.value(), ctx);
    let options: Vec<(String, String)> = inverter_arrays
        .iter()
        .map(|(id, _)| (id.clone(), array_name(&inverter_arrays, id)))
        .collect();
    let selected = current
        .clone()
        .or_else(|| inverter_arrays.first().map(|(id, _)| id.clone()))
        .unwrap_or_default();
    let note = match &current {
        Some(to) => format!(
            "Attached now to {}. Attaching it elsewhere ends that attachment; it stays in the history.",
            array_name(&inverter_arrays, to)
        ),
        None => "Not attached now.".to_string(),
    };
    let label = format!("Attach {battery_array_id}");
    let attach_label = if current.is_some() {
        "Re-attach"
    } else {
        "Attach"
    };
    let detach_form = current
        .is_some()
        .then(|| view! { <DetachForm battery_array_id=battery_array_id.clone() ctx /> });
    view! {
        <div class="edit-panel" role="group" aria-label=label>
            <p class="muted">{note}</p>
            <ActionForm
                action=attach
                attr:class="edit-form"
                attr:aria-label="Attach to an inverter array"
            >
                <input type="hidden" name="battery_array_id" value=battery_array_id />
                <Choice
                    form="attach"
                    name="inverter_array_id"
                    field="inverter_array_id"
                    label="Inverter array"
                    value=selected
                    options
                    error
                />
                <FormErrors error fields=ATTACH_FIELDS what="battery array".to_string() ctx />
                <div class="field-actions field-wide">
                    <button type="submit" class="button" disabled=move || attach.pending().get()>
                        {attach_label}
                    </button>
                    <a class="button button-secondary" href=ctx.close_href()>
                        "Cancel"
                    </a>
                </div>
            </ActionForm>
            {detach_form}
        </div>
    }
    .into_any()
}

/// Ends the battery array's attachment now (it stays in the history).
#[component]
fn DetachForm(battery_array_id: String, ctx: SiteCtx) -> AnyView {
    let detach = ServerAction::<DetachBatteryArray>::new();
    let error = Signal::derive(move || detach.value().get().and_then(Result::err));
    close_on_success(detach.value(), ctx);
    view! {
        <ActionForm action=detach attr:class="field-actions site-detach" attr:aria-label="Detach">
            <input type="hidden" name="battery_array_id" value=battery_array_id />
            <button
                type="submit"
                class="button button-secondary"
                disabled=move || detach.pending().get()
            >
                "Detach"
            </button>
        </ActionForm>
        <FormErrors error fields=&[] what="battery array".to_string() ctx />
    }
    .into_any()
}
