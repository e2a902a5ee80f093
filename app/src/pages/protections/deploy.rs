//! The Protections deploy dialog (device beside form, then confirm) and the outcome of the last
//! deploy.

use leptos::prelude::*;

use crate::components::scroll_region::ScrollRegion;

use super::history::DeploymentOutcome;
use crate::api::protections::{DeployProtections, PreviewDeploy};
use crate::components::error_view::ErrorPanel;
use crate::components::password_confirm::SensitiveChangeError;
use model::field::format_number;
use model::profiles::DeployPreview;

/// The deploy dialog while it is open, and the outcome of the last deploy.
#[component]
pub(super) fn DeployArea(
    preview: ServerAction<PreviewDeploy>,
    deploy: ServerAction<DeployProtections>,
    show_preview: RwSignal<bool>,
    racks: RwSignal<Option<Vec<i32>>>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        {move || {
            show_preview
                .get()
                .then(|| {
                    view! {
                        <DeployDialog
                            preview
                            racks
                            on_confirm
                            on_cancel=move || show_preview.set(false)
                        />
                    }
                })
        }}
        {move || {
            deploy
                .value()
                .get()
                .map(|result| match result {
                    Ok(detail) => view! { <DeploymentOutcome detail /> }.into_any(),
                    Err(error) => view! { <SensitiveChangeError error /> }.into_any(),
                })
        }}
    }
}

/// The confirmation of a deploy, as a modal dialog (the browser's `<dialog>`: focus moves into
/// it and stays there, Escape cancels): what will be written first, before → after.
#[component]
fn DeployDialog(
    preview: ServerAction<PreviewDeploy>,
    racks: RwSignal<Option<Vec<i32>>>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    Effect::new(move |_| {
        if let Some(dialog) = dialog.get()
            && !dialog.open()
        {
            let _ = dialog.show_modal();
        }
    });
    view! {
        <dialog
            node_ref=dialog
            class="deploy-dialog"
            aria-labelledby="deploy-title"
            // Escape: the browser would close the dialog by itself; the page closes it instead,
            // so that its state says closed too.
            on:cancel=move |ev: leptos::ev::Event| {
                ev.prevent_default();
                on_cancel();
            }
        >
            <h2 id="deploy-title" class="section-title">
                "Deploy to the device"
            </h2>
            {move || match preview.value().get() {
                None => view! { <p class="muted">"Reading the device…"</p> }.into_any(),
                Some(Err(error)) => {
                    view! {
                        <ErrorPanel error />
                        <button
                            type="button"
                            class="button button-secondary"
                            autofocus
                            on:click=move |_| on_cancel()
                        >
                            "Close"
                        </button>
                    }
                        .into_any()
                }
                Some(Ok(plan)) => {
                    view! { <PreviewTable plan racks on_confirm on_cancel /> }.into_any()
                }
            }}
        </dialog>
    }
    .into_any()
}

/// What the deploy would do: the fields written to the device first (before → after) and those
/// that cannot be deployed, then one folded line for the fields kept in the console only; Deploy
/// and Cancel. On a multi-rack site the racks to write (all by default), and only the chosen
/// racks' fields.
#[component]
fn PreviewTable(
    plan: DeployPreview,
    racks: RwSignal<Option<Vec<i32>>>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    let all_racks = plan.racks.clone();
    // The plan for the chosen racks: a field shared by every rack always stays.
    let chosen = Memo::new(move |_| {
        let racks = racks.get();
        let mut chosen = plan.clone();
        chosen.fields.retain(|f| {
            f.rack
                .is_none_or(|rack| racks.as_ref().is_none_or(|racks| racks.contains(&rack)))
        });
        chosen
    });
    let no_rack_chosen = {
        let all_racks = all_racks.clone();
        move || !all_racks.is_empty() && racks.with(|r| r.as_ref().is_some_and(Vec::is_empty))
    };
    let changes = move || chosen.with(DeployPreview::changes);
    // A field that cannot be deployed, or no rack to deploy to, blocks the confirmation.
    let blocked = {
        let no_rack_chosen = no_rack_chosen.clone();
        move || chosen.with(DeployPreview::problems) > 0 || no_rack_chosen()
    };
    // Focus starts on Cancel: Enter alone never writes to a BMS; Deploy is one Shift+Tab away.
    let cancel = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if let Some(cancel) = cancel.get() {
            let _ = cancel.focus();
        }
    });
    view! {
        <p class="deploy-headline" data-testid="deploy-summary">
            <strong>{move || chosen.with(headline)}</strong>
            " "
            <span class="muted">{move || chosen.with(rest_of_summary)}</span>
        </p>
        <RackChoice all_racks racks />
        {move || chosen.with(written_table)}
        {move || chosen.with(console_only_line)}
        <div class="dialog-actions">
            <button type="button" class="button" disabled=blocked on:click=on_confirm>
                {move || {
                    match changes() {
                        0 => "Deploy (nothing to write)".to_string(),
                        1 => "Deploy 1 change".to_string(),
                        n => format!("Deploy {n} changes"),
                    }
                }}
            </button>
            <button
                type="button"
                class="button button-secondary"
                node_ref=cancel
                on:click=move |_| on_cancel()
            >
                "Cancel"
            </button>
        </div>
    }
    .into_any()
}

/// The plain first sentence: how many fields go to the BMS.
fn headline(plan: &DeployPreview) -> String {
    match plan.changes() {
        0 => "Nothing will be written to the BMS: it holds these values already.".to_string(),
        1 => "1 field will be written to the BMS.".to_string(),
        n => format!("{n} fields will be written to the BMS."),
    }
}

/// The rest: unchanged, console-only and undeployable fields, counted.
fn rest_of_summary(plan: &DeployPreview) -> String {
    let (console_only, problems) = (plan.console_only(), plan.problems());
    // Counted, not subtracted from the total: a field can both change and have a problem (a
    // value the device cannot encode), and the subtraction would then go below zero.
    let unchanged = plan
        .fields
        .iter()
        .filter(|f| !f.changes && f.problem.is_none() && f.device_variable.is_some())
        .count();
    let mut parts = vec![
        format!("{unchanged} unchanged"),
        format!("{console_only} kept in the console only"),
    ];
    if problems > 0 {
        parts.push(format!("{problems} cannot be deployed"));
    }
    format!("{}.", parts.join("; "))
}

/// The fields written to the device and those that cannot be deployed: before → after.
fn written_table(plan: &DeployPreview) -> AnyView {
    let rows: Vec<_> = plan
        .fields
        .iter()
        .filter(|f| f.device_variable.is_some() && (f.changes || f.problem.is_some()))
        .cloned()
        .collect();
    if rows.is_empty() {
        return ().into_any();
    }
    let rows = rows
        .into_iter()
        .map(|f| {
            let note = f
                .problem
                .clone()
                .unwrap_or_else(|| "will be written".to_string());
            let rack = f.rack.map(|rack| format!(" (rack {rack})"));
            view! {
                <tr class=if f.problem.is_some() { "row-bad" } else { "" }>
                    <td>
                        <code>{f.path}</code>
                        {rack}
                    </td>
                    <td>{f.device_variable.unwrap_or_else(|| "—".into())}</td>
                    <td class="num">
                        <del>{f.device.map(format_number).unwrap_or_else(|| "—".into())}</del>
                    </td>
                    <td class="num">
                        <ins>{format_number(f.intended)}</ins>
                    </td>
                    <td>{note}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <ScrollRegion label="Fields to deploy" short=true>
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Device variable"</th>
                        <th scope="col" class="num">
                            "Device now"
                        </th>
                        <th scope="col" class="num">
                            "After"
                        </th>
                        <th scope="col">"Note"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </ScrollRegion>
    }
    .into_any()
}

/// The fields the device has no variable for, folded into one line with their count: they are
/// saved with the profile and never sent.
fn console_only_line(plan: &DeployPreview) -> AnyView {
    let kept: Vec<_> = plan
        .fields
        .iter()
        .filter(|f| f.device_variable.is_none())
        .cloned()
        .collect();
    if kept.is_empty() {
        return ().into_any();
    }
    let count = kept.len();
    let items = kept
        .into_iter()
        .map(|f| {
            view! {
                <li>
                    <code>{f.path}</code>
                    {format!(" = {}", format_number(f.intended))}
                </li>
            }
        })
        .collect_view();
    view! {
        <details class="console-only">
            <summary>
                {format!(
                    "{count} field{} kept in the console only (no device variable; saved, not sent)",
                    if count == 1 { "" } else { "s" },
                )}
            </summary>
            <ul class="console-only-list">{items}</ul>
        </details>
    }
    .into_any()
}

/// A checkbox per rack on a multi-rack site (nothing on a single-rack one); all checked at first.
#[component]
fn RackChoice(all_racks: Vec<i32>, racks: RwSignal<Option<Vec<i32>>>) -> AnyView {
    if all_racks.is_empty() {
        return ().into_any();
    }
    let boxes = all_racks
        .iter()
        .copied()
        .map(|rack| {
            let all_racks = all_racks.clone();
            let checked = move || racks.with(|r| r.as_ref().is_none_or(|r| r.contains(&rack)));
            let toggle = move |ev| {
                let on = event_target_checked(&ev);
                let mut chosen = racks.get_untracked().unwrap_or_else(|| all_racks.clone());
                chosen.retain(|r| *r != rack);
                if on {
                    chosen.push(rack);
                    chosen.sort_unstable();
                }
                racks.set(Some(chosen));
            };
            view! {
                <label class="rack-choice">
                    <input type="checkbox" prop:checked=checked on:change=toggle />
                    {format!(" Rack {rack}")}
                </label>
            }
        })
        .collect_view();
    view! {
        <fieldset class="rack-choices" data-testid="deploy-racks">
            <legend>"Racks to write"</legend>
            {boxes}
        </fieldset>
    }
    .into_any()
}
