//! The Protections deploy dialog (device beside form, then confirm) and the outcome of the last
//! deploy.

use leptos::prelude::*;

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

/// The confirmation of a deploy: what the device holds beside what would be written.
#[component]
fn DeployDialog(
    preview: ServerAction<PreviewDeploy>,
    racks: RwSignal<Option<Vec<i32>>>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    view! {
        <div
            class="confirm deploy-dialog"
            role="dialog"
            aria-modal="false"
            aria-labelledby="deploy-title"
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    on_cancel()
                }
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
        </div>
    }
    .into_any()
}

/// What the deploy would do, field by field, with Deploy and Cancel; on a multi-rack site the
/// racks to write (all by default), and only the chosen racks' fields.
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
    view! {
        <RackChoice all_racks racks />
        <p data-testid="deploy-summary">{move || chosen.with(summary)}</p>
        <div class="table-wrap table-scroll-short">
            <table class="data-table">
                <thead>
                    <tr>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Device variable"</th>
                        <th scope="col" class="num">
                            "Device now"
                        </th>
                        <th scope="col" class="num">
                            "New"
                        </th>
                        <th scope="col">"Note"</th>
                    </tr>
                </thead>
                <tbody>{move || chosen.with(rows)}</tbody>
            </table>
        </div>
        <div class="dialog-actions">
            <button type="button" class="button" disabled=blocked on:click=on_confirm>
                {move || {
                    let changes = changes();
                    if changes == 0 {
                        "Deploy (nothing to write)".to_string()
                    } else {
                        format!("Deploy {changes} change(s)")
                    }
                }}
            </button>
            <button type="button" class="button button-secondary" on:click=move |_| on_cancel()>
                "Cancel"
            </button>
        </div>
    }
    .into_any()
}

/// One sentence: how many fields are written, unchanged, console-only, undeployable.
fn summary(plan: &DeployPreview) -> String {
    let (changes, console_only, problems) = (plan.changes(), plan.console_only(), plan.problems());
    // Counted, not subtracted from the total: a field can both change and have a problem (a
    // value the device cannot encode), and the subtraction would then go below zero.
    let unchanged = plan
        .fields
        .iter()
        .filter(|f| !f.changes && f.problem.is_none() && f.device_variable.is_some())
        .count();
    format!(
        "{changes} field(s) will be written to the device; {unchanged} unchanged; {console_only} kept in the console only{}.",
        if problems > 0 {
            format!("; {problems} cannot be deployed")
        } else {
            String::new()
        }
    )
}

/// The rows worth a look: what changes, what cannot be deployed, what stays in the console.
fn rows(plan: &DeployPreview) -> AnyView {
    plan.fields
        .iter()
        .filter(|f| f.changes || f.problem.is_some() || f.device_variable.is_none())
        .cloned()
        .map(|f| {
            let note = match (&f.device_variable, &f.problem) {
                (None, _) => "kept in the console only".to_string(),
                (_, Some(problem)) => problem.clone(),
                _ => "will be written".to_string(),
            };
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
        .collect_view()
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
