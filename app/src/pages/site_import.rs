//! The Site import page (`/site/import`): a `config.yaml` chosen or pasted, previewed as the rows it
//! creates, changes and removes (or every problem of the file, at its line and column), applied in
//! one transaction; and the selected system exported as the same file.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::site_file::ImportSiteFile;
use crate::components::error_view::ErrorPanel;
use crate::pages::import::{Picked, read_chosen_file};
use model::site::plan::{FileProblem, PlannedAction, PlannedChange, SiteImportOutcome, SitePlan};

/// The import page: export, the file and the prune option, Preview and Apply, and the outcome.
#[component]
pub fn SiteImportPage() -> AnyView {
    let query = use_query_map();
    let system = move || query.with(|q| q.get("system").unwrap_or_default());
    let file = RwSignal::new(None::<(String, String)>);
    let prune = RwSignal::new(false);
    let preview = ServerAction::<ImportSiteFile>::new();
    let apply = ServerAction::<ImportSiteFile>::new();

    // Another file or option invalidates the preview shown.
    Effect::new(move |_| {
        file.track();
        prune.track();
        preview.clear();
        apply.clear();
    });

    let export_href = move || format!("/api/v1/site/systems/{}/export", system());
    let site_href = move || match system() {
        s if s.is_empty() => "/site".to_string(),
        s => format!("/site?system={s}"),
    };
    view! {
        <Title text="Site import" />
        <section class="page" aria-labelledby="site-import-title">
            <nav class="breadcrumb" aria-label="Breadcrumb">
                <a href=site_href>"Site"</a>
                <span aria-hidden="true">" / "</span>
                <span aria-current="page">"Import"</span>
            </nav>
            <header class="page-header">
                <div>
                    <h1 id="site-import-title">"Import and export config.yaml"</h1>
                    <p class="muted">
                        "A file describes one system. Preview what it creates, changes and removes, then apply it in one transaction."
                    </p>
                </div>
                <Show when=move || !system().is_empty()>
                    <div class="page-actions">
                        <a class="button button-secondary" href=export_href download="config.yaml">
                            {move || format!("Export {}", system())}
                        </a>
                    </div>
                </Show>
            </header>
            // The file is read in the browser; without JavaScript, say where else it imports.
            <noscript>
                <p class="muted" data-testid="import-needs-js">
                    "Reading a file here needs JavaScript. Without it, import with "
                    <code>"powerdeck site import FILE"</code>
                    " or POST /api/v1/site/import."
                </p>
            </noscript>
            <Controls file prune preview apply />
            <Outcome preview apply />
        </section>
    }
    .into_any()
}

/// The file picker, the prune option, Preview, and Apply (enabled after a preview that changes
/// something).
#[component]
fn Controls(
    file: RwSignal<Picked>,
    prune: RwSignal<bool>,
    preview: ServerAction<ImportSiteFile>,
    apply: ServerAction<ImportSiteFile>,
) -> AnyView {
    view! {
        <div class="filter-bar">
            <label class="field field-grow">
                <span class="field-label">"config.yaml"</span>
                <input
                    type="file"
                    name="file"
                    accept=".yaml,.yml,application/yaml,text/yaml,text/plain"
                    on:change=move |ev| read_chosen_file(ev, file)
                />
            </label>
            <label class="checkbox">
                <input
                    type="checkbox"
                    prop:checked=prune
                    on:change=move |ev| prune.set(event_target_checked(&ev))
                />
                " Remove the system's rows the file leaves out (prune)"
            </label>
            <div class="field-actions">
                <button
                    type="button"
                    class="button"
                    disabled=move || file.with(Option::is_none) || preview.pending().get()
                    aria-busy=move || preview.pending().get().to_string()
                    on:click=move |_| {
                        if let Some(r) = request(file, prune, false) {
                            preview.dispatch(r);
                        }
                    }
                >
                    "Preview"
                </button>
                <button
                    type="button"
                    class="button button-danger"
                    disabled=move || {
                        !previewed_changes(preview) || applied(apply) || apply.pending().get()
                    }
                    aria-busy=move || apply.pending().get().to_string()
                    on:click=move |_| {
                        if let Some(r) = request(file, prune, true) {
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

fn request(file: RwSignal<Picked>, prune: RwSignal<bool>, apply: bool) -> Option<ImportSiteFile> {
    let (file_name, text) = file.get_untracked()?;
    Some(ImportSiteFile {
        file_name,
        text,
        prune: prune.get_untracked(),
        apply,
    })
}

/// Whether the preview shown is a sound file with something to change (only then can it apply).
fn previewed_changes(preview: ServerAction<ImportSiteFile>) -> bool {
    preview.value().with(
        |v| matches!(v, Some(Ok(SiteImportOutcome { plan: Some(plan), .. })) if !plan.is_empty()),
    )
}

fn applied(apply: ServerAction<ImportSiteFile>) -> bool {
    apply
        .value()
        .with(|v| matches!(v, Some(Ok(outcome)) if outcome.applied))
}

/// What Apply did, else the preview, else an error or a hint what to do first.
#[component]
fn Outcome(
    preview: ServerAction<ImportSiteFile>,
    apply: ServerAction<ImportSiteFile>,
) -> impl IntoView {
    move || match (apply.value().get(), preview.value().get()) {
        (Some(Ok(outcome)), _) => view! { <OutcomeView outcome /> }.into_any(),
        (Some(Err(error)), _) | (_, Some(Err(error))) => view! { <ErrorPanel error /> }.into_any(),
        (None, Some(Ok(outcome))) => view! { <OutcomeView outcome /> }.into_any(),
        _ => view! { <p class="muted">"Choose a config.yaml, then Preview."</p> }.into_any(),
    }
}

#[component]
fn OutcomeView(outcome: SiteImportOutcome) -> AnyView {
    if !outcome.problems.is_empty() {
        return view! { <ProblemList file_name=outcome.file_name problems=outcome.problems /> }
            .into_any();
    }
    let Some(plan) = outcome.plan else {
        return ().into_any();
    };
    let site_link = format!("/site?system={}", plan.system_id);
    let status = match (outcome.applied, plan.is_empty()) {
        (_, true) => view! {
            <div class="result-panel" role="status">
                <strong>"Nothing to change."</strong>
                " The database already matches the file."
            </div>
        }
        .into_any(),
        (true, false) => view! {
            <div class="result-panel" role="status">
                <strong>"Imported."</strong>
                {format!(" {} rows changed in one transaction. ", plan.changes.len())}
                <a href=site_link>"Open the site"</a>
            </div>
        }
        .into_any(),
        (false, false) => view! {
            <p class="muted" role="status">
                {format!(
                    "Preview: {} rows would change in system {}. Nothing is written until you apply.",
                    plan.changes.len(),
                    plan.system_id,
                )}
            </p>
        }
        .into_any(),
    };
    view! {
        {status}
        <PlanTable plan />
    }
    .into_any()
}

/// Every problem of the file, one row each, at its line and column.
#[component]
fn ProblemList(file_name: String, problems: Vec<FileProblem>) -> AnyView {
    let count = problems.len();
    let noun = if count == 1 { "problem" } else { "problems" };
    view! {
        <div class="error-panel" role="alert">
            <strong>{format!("{file_name} has {count} {noun}; nothing was written.")}</strong>
        </div>
        <div class="table-wrap">
            <table class="data-table" data-testid="site-file-problems">
                <thead>
                    <tr>
                        <th scope="col" class="num">
                            "Line"
                        </th>
                        <th scope="col" class="num">
                            "Column"
                        </th>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Problem"</th>
                    </tr>
                </thead>
                <tbody>
                    {problems
                        .into_iter()
                        .map(|p| {
                            view! {
                                <tr>
                                    <td class="num">{p.line}</td>
                                    <td class="num">{p.column}</td>
                                    <td class="mono">{p.path}</td>
                                    <td class="wrap">{p.message}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The plan as a diff: one row per created or removed row, one per changed field.
#[component]
fn PlanTable(plan: SitePlan) -> AnyView {
    if plan.is_empty() {
        return ().into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data-table" data-testid="site-plan">
                <thead>
                    <tr>
                        <th scope="col">"Kind"</th>
                        <th scope="col">"Id"</th>
                        <th scope="col">"Change"</th>
                        <th scope="col">"Field"</th>
                        <th scope="col">"Old"</th>
                        <th scope="col">"New"</th>
                    </tr>
                </thead>
                <tbody>{plan.changes.iter().flat_map(change_rows).collect_view()}</tbody>
            </table>
        </div>
    }
    .into_any()
}

fn change_rows(change: &PlannedChange) -> Vec<AnyView> {
    let kind = change.kind.label();
    let id = change.id.clone();
    let whole = |badge: &'static str, class: &'static str| {
        view! {
            <tr>
                <td>{kind}</td>
                <td class="mono">{id.clone()}</td>
                <td>
                    <span class=format!("badge {class}")>{badge}</span>
                </td>
                <td></td>
                <td></td>
                <td></td>
            </tr>
        }
        .into_any()
    };
    match &change.action {
        PlannedAction::Create => vec![whole("create", "badge-good")],
        PlannedAction::Remove => vec![whole("remove", "badge-bad")],
        PlannedAction::Update { fields } => fields
            .iter()
            .map(|f| {
                view! {
                    <tr>
                        <td>{kind}</td>
                        <td class="mono">{id.clone()}</td>
                        <td>
                            <span class="badge badge-prot">"change"</span>
                        </td>
                        <td class="mono">{f.field.clone()}</td>
                        <td class="mono wrap">
                            <del>{f.old.clone().unwrap_or_default()}</del>
                        </td>
                        <td class="mono wrap">
                            <ins>{f.new.clone().unwrap_or_default()}</ins>
                        </td>
                    </tr>
                }
                .into_any()
            })
            .collect(),
    }
}
