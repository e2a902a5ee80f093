//! The Protections deploy dialog (device beside form, then confirm) and the outcome of the last
//! deploy.

use leptos::prelude::*;

use super::history::DeploymentOutcome;
use crate::api::protections::{DeployProtections, PreviewDeploy};
use crate::components::error_view::ErrorPanel;
use model::field::format_number;
use model::profiles::DeployPreview;

/// The deploy dialog while it is open, and the outcome of the last deploy.
#[component]
pub(super) fn DeployArea(
    preview: ServerAction<PreviewDeploy>,
    deploy: ServerAction<DeployProtections>,
    show_preview: RwSignal<bool>,
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
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                })
        }}
    }
}

/// The confirmation of a deploy: what the device holds beside what would be written.
#[component]
fn DeployDialog(
    preview: ServerAction<PreviewDeploy>,
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
                Some(Ok(plan)) => view! { <PreviewTable plan on_confirm on_cancel /> }.into_any(),
            }}
        </div>
    }
    .into_any()
}

/// What the deploy would do, field by field, with Deploy and Cancel.
#[component]
fn PreviewTable(
    plan: DeployPreview,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> AnyView {
    let changes = plan.changes();
    let console_only = plan.console_only();
    let problems = plan.problems();
    // Counted, not subtracted from the total: a field can both change and have a problem (a
    // value the device cannot encode), and the subtraction would then go below zero.
    let unchanged = plan
        .fields
        .iter()
        .filter(|f| !f.changes && f.problem.is_none() && f.device_variable.is_some())
        .count();
    // A field that cannot be deployed blocks the confirmation.
    let blocked = problems > 0;
    let summary = format!(
        "{changes} field(s) will be written to the device; {unchanged} unchanged; {console_only} kept in the console only{}.",
        if problems > 0 {
            format!("; {problems} cannot be deployed")
        } else {
            String::new()
        }
    );
    let rows: Vec<_> = plan
        .fields
        .into_iter()
        .filter(|f| f.changes || f.problem.is_some() || f.device_variable.is_none())
        .collect();
    view! {
        <p data-testid="deploy-summary">{summary}</p>
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
                <tbody>
                    {rows
                        .into_iter()
                        .map(|f| {
                            let note = match (&f.device_variable, &f.problem) {
                                (None, _) => "kept in the console only".to_string(),
                                (_, Some(problem)) => problem.clone(),
                                _ => "will be written".to_string(),
                            };
                            view! {
                                <tr class=if f.problem.is_some() { "row-bad" } else { "" }>
                                    <td>
                                        <code>{f.path}</code>
                                    </td>
                                    <td>{f.device_variable.unwrap_or_else(|| "—".into())}</td>
                                    <td class="num">
                                        <del>
                                            {f
                                                .device
                                                .map(format_number)
                                                .unwrap_or_else(|| "—".into())}
                                        </del>
                                    </td>
                                    <td class="num">
                                        <ins>{format_number(f.intended)}</ins>
                                    </td>
                                    <td>{note}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        <div class="dialog-actions">
            <button type="button" class="button" disabled=blocked on:click=on_confirm>
                {if changes == 0 {
                    "Deploy (nothing to write)".to_string()
                } else {
                    format!("Deploy {changes} change(s)")
                }}
            </button>
            <button type="button" class="button button-secondary" on:click=move |_| on_cancel()>
                "Cancel"
            </button>
        </div>
    }
    .into_any()
}
