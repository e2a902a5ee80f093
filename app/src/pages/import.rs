//! The Import page: pick data_def.json (and var_metadata.json), see the dry-run diff, apply it in
//! one transaction, see the result; and download the current registry as the same two files.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::registry::ImportRegistry;
use crate::components::error_view::ErrorPanel;
use model::registry::{DiffKind, ImportReport, KeptEdit, VariableDiff};

/// A chosen file: its name and text.
pub(crate) type Picked = Option<(String, String)>;

/// Reads the file chosen in an `<input type="file">` into `target` (browser only).
pub(crate) fn read_chosen_file(ev: leptos::ev::Event, target: RwSignal<Picked>) {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::JsCast;
        let Some(input) = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        else {
            return;
        };
        let Some(file) = input.files().and_then(|files| files.get(0)) else {
            target.set(None);
            return;
        };
        let name = file.name();
        leptos::task::spawn_local(async move {
            let text = wasm_bindgen_futures::JsFuture::from(file.text())
                .await
                .ok()
                .and_then(|v| v.as_string());
            target.set(text.map(|text| (name, text)));
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, target);
}

/// The Import page: export links, the files and options, Preview and Apply, and the outcome.
#[component]
pub fn ImportPage() -> AnyView {
    let data_def = RwSignal::new(None::<(String, String)>);
    let metadata = RwSignal::new(None::<(String, String)>);
    let prune = RwSignal::new(false);
    let overwrite_edits = RwSignal::new(false);
    let preview = ServerAction::<ImportRegistry>::new();
    let apply = ServerAction::<ImportRegistry>::new();

    // A new file or option invalidates the preview shown.
    Effect::new(move |_| {
        data_def.track();
        metadata.track();
        prune.track();
        overwrite_edits.track();
        preview.clear();
        apply.clear();
    });

    view! {
        <Title text="Import" />
        <section class="page" aria-labelledby="import-title">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href="/registry">"Registry"</a>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Import"</span>
            </nav>
            <header class="page-header">
                <div>
                    <h1 id="import-title">"Import and export"</h1>
                    <p class="muted">
                        "Preview what a definition file changes, then apply it in one transaction."
                    </p>
                </div>
                <div class="page-actions">
                    <a
                        class="button button-secondary"
                        href="/api/v1/export/data_def.json"
                        download="data_def.json"
                    >
                        "Export data_def.json"
                    </a>
                    <a
                        class="button button-secondary"
                        href="/api/v1/export/var_metadata.json"
                        download="var_metadata.json"
                    >
                        "Export var_metadata.json"
                    </a>
                </div>
            </header>
            <ImportControls data_def metadata prune overwrite_edits preview apply />
            <ImportOutcome preview apply />
        </section>
    }
    .into_any()
}

/// The import request for the chosen files and options, once data_def.json is chosen.
fn import_request(
    data_def: RwSignal<Picked>,
    metadata: RwSignal<Picked>,
    prune: RwSignal<bool>,
    overwrite_edits: RwSignal<bool>,
    apply: bool,
) -> Option<ImportRegistry> {
    let (data_def_name, data_def) = data_def.get_untracked()?;
    let (metadata_name, metadata) = metadata.get_untracked().unzip();
    Some(ImportRegistry {
        data_def_name,
        data_def,
        metadata_name,
        metadata,
        prune: prune.get_untracked(),
        overwrite_edits: overwrite_edits.get_untracked(),
        apply,
    })
}

/// The file pickers, the prune option, Preview, and Apply (enabled after a preview).
#[component]
fn ImportControls(
    data_def: RwSignal<Picked>,
    metadata: RwSignal<Picked>,
    prune: RwSignal<bool>,
    overwrite_edits: RwSignal<bool>,
    preview: ServerAction<ImportRegistry>,
    apply: ServerAction<ImportRegistry>,
) -> AnyView {
    let request =
        move |apply: bool| import_request(data_def, metadata, prune, overwrite_edits, apply);
    let previewed = move || matches!(preview.value().get(), Some(Ok(_)));
    let applied = move || matches!(apply.value().get(), Some(Ok(_)));
    view! {
        <div class="filter-bar">
            <label class="field field-grow">
                <span class="field-label">"data_def.json (required)"</span>
                <input
                    type="file"
                    accept=".json,application/json"
                    on:change=move |ev| read_chosen_file(ev, data_def)
                />
            </label>
            <label class="field field-grow">
                <span class="field-label">"var_metadata.json (optional)"</span>
                <input
                    type="file"
                    accept=".json,application/json"
                    on:change=move |ev| read_chosen_file(ev, metadata)
                />
            </label>
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=prune
                    on:change=move |ev| prune.set(event_target_checked(&ev))
                />
                " Deactivate paths the file no longer has (prune)"
            </label>
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=overwrite_edits
                    on:change=move |ev| overwrite_edits.set(event_target_checked(&ev))
                />
                " Take the files' names, units and descriptions also where someone edited them (overwrite edits)"
            </label>
            <div class="field-actions">
                <button
                    type="button"
                    class="button"
                    disabled=move || data_def.with(Option::is_none) || preview.pending().get()
                    on:click=move |_| {
                        if let Some(r) = request(false) {
                            preview.dispatch(r);
                        }
                    }
                >
                    "Preview"
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    disabled=move || !previewed() || applied() || apply.pending().get()
                    on:click=move |_| {
                        if let Some(r) = request(true) {
                            apply.dispatch(r);
                        }
                    }
                >
                    "Apply"
                </button>
            </div>
        </div>
    }
    .into_any()
}

/// The result of Apply, else the preview, else an error or a hint what to do first.
#[component]
fn ImportOutcome(
    preview: ServerAction<ImportRegistry>,
    apply: ServerAction<ImportRegistry>,
) -> impl IntoView {
    move || match (apply.value().get(), preview.value().get()) {
        (Some(Ok(report)), _) => view! {
            <div class="result-panel" role="status">
                <strong>"Imported."</strong>
                " "
                {format!(
                    "{} system version(s) taken; the system version is now {}.",
                    report.versions_used,
                    report.system_version,
                )}
                " "
                <a href="/registry">"Open the registry"</a>
            </div>
            <ReportView report />
        }
        .into_any(),
        (Some(Err(error)), _) | (_, Some(Err(error))) => view! { <ErrorPanel error /> }.into_any(),
        (None, Some(Ok(report))) => view! { <ReportView report /> }.into_any(),
        _ => view! { <p class="muted">"Choose data_def.json, then Preview."</p> }.into_any(),
    }
}

#[component]
fn ReportView(report: ImportReport) -> AnyView {
    let heading = if report.dry_run {
        "Preview (nothing written yet)"
    } else {
        "Result"
    };
    view! {
        <h2 class="section-title">{heading}</h2>
        <dl class="facts report-counts">
            <div class="fact">
                <dt>"New"</dt>
                <dd class="fact-value num">{report.new}</dd>
            </div>
            <div class="fact">
                <dt>"Changed"</dt>
                <dd class="fact-value num">{report.changed}</dd>
            </div>
            <div class="fact">
                <dt>"Unchanged"</dt>
                <dd class="fact-value num">{report.unchanged}</dd>
            </div>
            <div class="fact">
                <dt>"Edits kept"</dt>
                <dd class="fact-value num">{report.kept}</dd>
            </div>
            <div class="fact">
                <dt>"Skipped (_gap)"</dt>
                <dd class="fact-value num">{report.skipped}</dd>
            </div>
            <div class="fact">
                <dt>"Paths"</dt>
                <dd class="fact-value num">
                    {format!(
                        "+{} ~{} −{}",
                        report.paths_added,
                        report.paths_updated,
                        report.paths_deactivated,
                    )}
                </dd>
                <dd class="fact-detail">"added · updated · deactivated"</dd>
            </div>
        </dl>
        {(!report.diffs.is_empty())
            .then(|| {
                view! {
                    <div class="table-wrap">
                        <table class="data-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Variable"</th>
                                    <th scope="col">"Change"</th>
                                    <th scope="col">"Field"</th>
                                    <th scope="col">"Old"</th>
                                    <th scope="col">"New"</th>
                                </tr>
                            </thead>
                            <tbody>{report.diffs.iter().flat_map(diff_rows).collect_view()}</tbody>
                        </table>
                    </div>
                }
            })}
        {report
            .diffs_truncated
            .then(|| view! { <p class="muted">"Only the first 500 variables are listed."</p> })}
    }
    .into_any()
}

/// The rows of one variable's diff: "new", each changed field, and each edit kept.
fn diff_rows(diff: &VariableDiff) -> Vec<AnyView> {
    if diff.kind == DiffKind::New {
        return vec![
            view! {
                <tr>
                    <td class="mono">{diff.name.clone()}</td>
                    <td>
                        <span class="badge badge-good">"new"</span>
                    </td>
                    <td></td>
                    <td></td>
                    <td></td>
                </tr>
            }
            .into_any(),
        ];
    }
    let changed = diff.changes.iter().map(|c| {
        view! {
            <tr>
                <td class="mono">{diff.name.clone()}</td>
                <td>
                    <span class="badge badge-prot">"changed"</span>
                </td>
                <td class="mono">{c.field.clone()}</td>
                <td class="mono wrap">
                    <del>{c.old.clone().unwrap_or_default()}</del>
                </td>
                <td class="mono wrap">
                    <ins>{c.new.clone().unwrap_or_default()}</ins>
                </td>
            </tr>
        }
        .into_any()
    });
    let kept = diff.kept.iter().map(|k| kept_row(&diff.name, k));
    changed.chain(kept).collect()
}

/// An edited field the import keeps: the edit (with who made it and when) and the files' value,
/// which is not applied.
fn kept_row(name: &str, kept: &KeptEdit) -> AnyView {
    let who = format!(
        "edited by {} ({}) at variable version {}, system version {}",
        kept.edited_by, kept.source_system, kept.variable_version, kept.system_version
    );
    view! {
        <tr>
            <td class="mono">{name.to_string()}</td>
            <td>
                <span class="badge" title="Edited in the console or over the API: kept">
                    "kept"
                </span>
            </td>
            <td class="mono">{kept.field.clone()}</td>
            <td class="wrap">
                <span class="mono">{kept.kept.clone()}</span>
                <span class="muted">" · " {who}</span>
            </td>
            <td class="mono wrap">
                <s title="The files' value, not applied">{kept.file.clone()}</s>
            </td>
        </tr>
    }
    .into_any()
}
