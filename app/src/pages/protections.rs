//! The Protections page: the limits of the selected profile in a compact grid (max and min side
//! of each quantity, warning / alert / fault with threshold, on-delay, off-delay and enable,
//! hysteresis per side) validated as you type by the same function the server uses; dirty
//! markers and per-row reset; Save, Deploy (after a diff of device against form), Recall
//! current / default / device; profile actions; live alarm badges. The alarms, journal and
//! deployment history sit below (`protections_panels`).

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::protections::{
    ActivateProfile, CreateProfile, DeleteProfile, DeployProtections, PreviewDeploy,
    RecallProtections, RenameProfile, SaveProtections, alarm_overview, list_profiles,
    recall_protections,
};
use crate::components::error_view::ErrorPanel;
use crate::components::refresh::refresh_every;
use crate::pages::protections_panels::{AlarmsPanel, DeploymentOutcome, DeploymentsPanel};
use model::field::format_number;
use model::profiles::{AlarmRow, DeployPreview, ProfileSummary, Recalled};
use model::protections::{
    AlarmState, FieldPath, FieldValue, Level, LimitField, ProtectionSet, Side, VariableInfo,
    validate,
};

/// How often alarm badges refresh once hydrated.
const ALARM_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

#[component]
pub fn ProtectionsPage() -> impl IntoView {
    let initial = Resource::new(|| (), |_| recall_protections("current".into()));
    view! {
        <Title text="Protections" />
        <section class="page page-wide" aria-labelledby="protections-title">
            <header class="page-header">
                <div>
                    <h1 id="protections-title">"Protections"</h1>
                    <p class="muted">
                        "Limits per quantity and side. Save keeps them in the console; Deploy writes them to the device and reads them back."
                    </p>
                </div>
            </header>
            <Suspense fallback=|| view! { <p class="muted">"Reading…"</p> }>
                {move || Suspend::new(async move {
                    match initial.await {
                        Ok(recalled) => view! { <Editor recalled /> }.into_any(),
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Everything the editor's widgets share.
#[derive(Clone, Copy)]
struct EditorState {
    /// The form as edited.
    form: RwSignal<ProtectionSet>,
    /// What the profile holds as saved: the reference for dirty markers.
    saved: RwSignal<ProtectionSet>,
    known: RwSignal<BTreeMap<String, VariableInfo>>,
    /// Field path → why its text is not a number (the form keeps the last good number).
    unparsed: RwSignal<BTreeMap<String, String>>,
    /// Bumped when the form is replaced from outside (recall, reset), so inputs show it anew;
    /// typing never rewrites an input under the caret.
    revision: RwSignal<u64>,
    alarms: RwSignal<Vec<AlarmRow>>,
}

impl EditorState {
    /// Every problem: unparsable text first, then the validation rules.
    fn problems(&self) -> Vec<(String, String)> {
        let mut problems: Vec<(String, String)> = self.unparsed.get().into_iter().collect();
        let known = self.known.get();
        let form = self.form.get();
        problems.extend(
            validate(&form, &|name| known.get(name).cloned())
                .into_iter()
                .map(|e| (e.path, e.rule)),
        );
        problems
    }

    fn replace_form(&self, set: ProtectionSet) {
        self.form.set(set);
        self.unparsed.set(BTreeMap::new());
        self.revision.update(|r| *r += 1);
    }
}

/// The editor: toolbar, notices, problems, deploy dialog, the limits grid and the panels below.
#[component]
fn Editor(recalled: Recalled) -> impl IntoView {
    let state = EditorState {
        form: RwSignal::new(recalled.protections.clone()),
        saved: RwSignal::new(recalled.protections.clone()),
        known: RwSignal::new(recalled.known.clone()),
        unparsed: RwSignal::new(BTreeMap::new()),
        revision: RwSignal::new(0),
        alarms: RwSignal::new(Vec::new()),
    };
    let profile = RwSignal::new(recalled.profile.clone());
    let console_only = RwSignal::new(recalled.console_only.clone());
    let notice = RwSignal::new(None::<(bool, String)>);

    let recall = ServerAction::<RecallProtections>::new();
    let save = ServerAction::<SaveProtections>::new();
    let preview = ServerAction::<PreviewDeploy>::new();
    let deploy = ServerAction::<DeployProtections>::new();
    let profiles = Resource::new(|| (), |_| list_profiles());
    let show_preview = RwSignal::new(false);
    let deployments_changed = RwSignal::new(0u64);

    on_recalled(recall, state, profile, console_only, notice);
    on_saved(save, state, profiles, notice);
    on_deployed(deploy, state, profiles, deployments_changed);
    follow_alarms(state);

    let problems = Memo::new(move |_| state.problems());
    let dirty_count = Memo::new(move |_| {
        let form = state.form.get();
        state.saved.with(|saved| form.diff(saved).len())
    });
    let busy = Signal::derive(move || {
        save.pending().get()
            || deploy.pending().get()
            || preview.pending().get()
            || recall.pending().get()
    });
    let blocked = Signal::derive(move || !problems.get().is_empty() || busy.get());

    let on_save = Callback::new(move |()| {
        save.dispatch(SaveProtections {
            profile: Some(profile.get_untracked()),
            protections: state.form.get_untracked(),
        });
    });
    let on_deploy = Callback::new(move |()| {
        show_preview.set(true);
        preview.dispatch(PreviewDeploy {
            profile: profile.get_untracked(),
            protections: state.form.get_untracked(),
        });
    });
    let on_confirm = move |_| {
        show_preview.set(false);
        deploy.dispatch(DeployProtections {
            profile: Some(profile.get_untracked()),
            protections: state.form.get_untracked(),
        });
    };
    let recall_from = move |source: String| {
        recall.dispatch(RecallProtections { source });
    };

    view! {
        <EditorToolbar profile profiles recall_from busy blocked dirty_count on_save on_deploy />
        <NoticeSlot notice />
        <ProblemList problems />
        <DeployArea preview deploy show_preview on_confirm />
        <LimitsGrid state problems console_only />
        <AlarmsPanel />
        <DeploymentsPanel changed=deployments_changed />
    }
}

/// Keeps the live alarm badges current.
fn follow_alarms(state: EditorState) {
    refresh_every(ALARM_REFRESH, move || {
        leptos::task::spawn_local(async move {
            if let Ok((rows, _)) = alarm_overview().await {
                state.alarms.set(rows);
            }
        });
    });
}

/// A recall replaces the form; a recalled profile (not the default or the device) also becomes
/// the reference for dirty markers.
fn on_recalled(
    recall: ServerAction<RecallProtections>,
    state: EditorState,
    profile: RwSignal<String>,
    console_only: RwSignal<Vec<String>>,
    notice: RwSignal<Option<(bool, String)>>,
) {
    Effect::new(move |_| {
        if let Some(result) = recall.value().get() {
            match result {
                Ok(recalled) => {
                    let from_profile =
                        recalled.source == "current" || recalled.source.starts_with("profile:");
                    if from_profile {
                        state.saved.set(recalled.protections.clone());
                        profile.set(recalled.profile.clone());
                    }
                    state.known.update(|k| k.extend(recalled.known.clone()));
                    console_only.set(recalled.console_only.clone());
                    let text = recall_notice(&recalled);
                    let complete = recalled.read_errors.is_empty();
                    state.replace_form(recalled.protections);
                    notice.set(Some((complete, text)));
                }
                Err(error) => notice.set(Some((false, error.to_string()))),
            }
        }
    });
}

/// The notice after a recall: where from, and how many fields could not be read.
fn recall_notice(recalled: &Recalled) -> String {
    let label = match recalled.source.as_str() {
        "default" => "the factory defaults (not saved yet)".to_string(),
        "device" => "what the device holds (not saved yet)".to_string(),
        _ => format!("profile {} version {}", recalled.profile, recalled.version),
    };
    let unread = recalled.read_errors.len();
    if unread > 0 {
        format!("Recalled {label}; {unread} field(s) could not be read and keep their values.")
    } else {
        format!("Recalled {label}.")
    }
}

/// A save makes the form the reference for dirty markers and refreshes the profile list.
fn on_saved(
    save: ServerAction<SaveProtections>,
    state: EditorState,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    notice: RwSignal<Option<(bool, String)>>,
) {
    Effect::new(move |_| {
        if let Some(result) = save.value().get() {
            match result {
                Ok(summary) => {
                    state.saved.set(state.form.get_untracked());
                    profiles.refetch();
                    notice.set(Some((
                        true,
                        format!(
                            "Saved profile {} version {}.",
                            summary.name, summary.version
                        ),
                    )));
                }
                Err(error) => notice.set(Some((false, error.to_string()))),
            }
        }
    });
}

/// A deploy refreshes the history and the profiles; a successful one also counts as saved.
fn on_deployed(
    deploy: ServerAction<DeployProtections>,
    state: EditorState,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    deployments_changed: RwSignal<u64>,
) {
    Effect::new(move |_| {
        if let Some(result) = deploy.value().get() {
            deployments_changed.update(|n| *n += 1);
            profiles.refetch();
            if let Ok(detail) = &result
                && detail.summary.status == model::profiles::DeploymentStatus::Succeeded
            {
                state.saved.set(state.form.get_untracked());
            }
        }
    });
}

/// The toolbar: profile, Recall buttons, the unsaved-change count, Save and Deploy.
#[component]
fn EditorToolbar(
    profile: RwSignal<String>,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
    busy: Signal<bool>,
    blocked: Signal<bool>,
    dirty_count: Memo<usize>,
    on_save: Callback<()>,
    on_deploy: Callback<()>,
) -> impl IntoView {
    view! {
        <div class="protections-toolbar" role="toolbar" aria-label="Protections actions">
            <ProfilePicker profile profiles recall_from />
            <div class="toolbar-group" role="group" aria-label="Recall">
                <span class="muted">"Recall"</span>
                <button type="button" class="button button-secondary" disabled=busy
                    on:click=move |_| recall_from("current".into())>"Current"</button>
                <button type="button" class="button button-secondary" disabled=busy
                    on:click=move |_| recall_from("default".into())>"Default"</button>
                <button type="button" class="button button-secondary" disabled=busy
                    on:click=move |_| recall_from("device".into())>"Device"</button>
            </div>
            <div class="toolbar-group toolbar-end">
                <span class="dirty-count muted" aria-live="polite">
                    {move || match dirty_count.get() {
                        0 => "No unsaved changes".to_string(),
                        1 => "1 unsaved change".to_string(),
                        n => format!("{n} unsaved changes"),
                    }}
                </span>
                <button type="button" class="button button-secondary" disabled=blocked
                    on:click=move |_| on_save.run(())>
                    "Save"
                </button>
                <button type="button" class="button" disabled=blocked on:click=move |_| on_deploy.run(())>
                    "Deploy…"
                </button>
            </div>
        </div>
    }
}

/// The last outcome of a recall, save or deploy, as a status line.
#[component]
fn NoticeSlot(notice: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    view! {
        <div class="notice-slot" aria-live="polite">
            {move || notice.get().map(|(ok, text)| view! {
                <p class=if ok { "notice notice-ok" } else { "notice notice-bad" } role="status">{text}</p>
            })}
        </div>
    }
}

/// The deploy dialog while it is open, and the outcome of the last deploy.
#[component]
fn DeployArea(
    preview: ServerAction<PreviewDeploy>,
    deploy: ServerAction<DeployProtections>,
    show_preview: RwSignal<bool>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        {move || show_preview.get().then(|| view! {
            <DeployDialog preview on_confirm on_cancel=move || show_preview.set(false) />
        })}
        {move || deploy.value().get().map(|result| match result {
            Ok(detail) => view! { <DeploymentOutcome detail /> }.into_any(),
            Err(error) => view! { <ErrorPanel error /> }.into_any(),
        })}
    }
}

/// The profile selector and the profile actions (clone, rename, delete, activate).
#[component]
fn ProfilePicker(
    profile: RwSignal<String>,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="toolbar-group profile-picker">
            <label for="profile-select">"Profile"</label>
            <ProfileSelect profile profiles recall_from />
            <ProfileActions profile profiles recall_from />
        </div>
    }
}

/// The profile selector: choosing a profile recalls it.
#[component]
fn ProfileSelect(
    profile: RwSignal<String>,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <Transition fallback=|| view! { <select id="profile-select" disabled=true></select> }>
            {move || Suspend::new(async move {
                let list = profiles.await.unwrap_or_default();
                view! {
                    <select id="profile-select"
                        on:change=move |ev| {
                            let name = event_target_value(&ev);
                            profile.set(name.clone());
                            recall_from(format!("profile:{name}"));
                        }>
                        {list.into_iter().map(|p| {
                            let selected = p.name == profile.get_untracked();
                            let label = format!(
                                "{}{} · v{}",
                                p.name,
                                if p.active { " (active)" } else { "" },
                                p.version
                            );
                            view! { <option value=p.name.clone() selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                }
            })}
        </Transition>
    }
}

/// The "Profile…" menu: clone as, rename to, activate, delete, and the outcome of the last one.
#[component]
fn ProfileActions(
    profile: RwSignal<String>,
    profiles: Resource<Result<Vec<ProfileSummary>, model::error::AppError>>,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let create = ServerAction::<CreateProfile>::new();
    let rename = ServerAction::<RenameProfile>::new();
    let delete = ServerAction::<DeleteProfile>::new();
    let activate = ServerAction::<ActivateProfile>::new();
    let (new_name, set_new_name) = signal(String::new());
    let outcome = RwSignal::new(None::<Result<String, model::error::AppError>>);
    Effect::new(move |_| {
        if let Some(result) = profile_outcome(create, rename, delete, activate) {
            if let Ok(message) = &result {
                if message.starts_with("Renamed to ") {
                    profile.set(new_name.get_untracked());
                }
                if message == "Deleted." {
                    recall_from("current".into());
                }
            }
            outcome.set(Some(result));
            profiles.refetch();
        }
    });
    view! {
        <details class="profile-actions">
            <summary class="button button-secondary">"Profile…"</summary>
            <div class="profile-actions-body">
                <label for="profile-new-name">"Name"</label>
                <input id="profile-new-name" type="text" autocomplete="off" placeholder="e.g. summer"
                    prop:value=new_name on:input=move |ev| set_new_name.set(event_target_value(&ev)) />
                <button type="button" class="button button-secondary"
                    disabled=move || new_name.get().trim().is_empty()
                    on:click=move |_| { create.dispatch(CreateProfile {
                        name: new_name.get_untracked().trim().to_string(),
                        description: format!("Copy of {}", profile.get_untracked()),
                        clone_from: Some(profile.get_untracked()),
                    }); }>"Clone as"</button>
                <button type="button" class="button button-secondary"
                    disabled=move || new_name.get().trim().is_empty()
                    on:click=move |_| { rename.dispatch(RenameProfile {
                        name: profile.get_untracked(),
                        new_name: new_name.get_untracked().trim().to_string(),
                    }); }>"Rename to"</button>
                <button type="button" class="button button-secondary"
                    on:click=move |_| { activate.dispatch(ActivateProfile { name: profile.get_untracked() }); }>
                    "Activate"
                </button>
                <button type="button" class="button button-danger"
                    on:click=move |_| { delete.dispatch(DeleteProfile { name: profile.get_untracked() }); }>
                    "Delete"
                </button>
                {move || outcome.get().map(|result| match result {
                    Ok(message) => view! { <p class="notice notice-ok" role="status">{message}</p> }.into_any(),
                    Err(error) => view! { <ErrorPanel error /> }.into_any(),
                })}
            </div>
        </details>
    }
}

/// The result of the first profile action that has one, as a message (tracks all four).
fn profile_outcome(
    create: ServerAction<CreateProfile>,
    rename: ServerAction<RenameProfile>,
    delete: ServerAction<DeleteProfile>,
    activate: ServerAction<ActivateProfile>,
) -> Option<Result<String, model::error::AppError>> {
    create
        .value()
        .get()
        .map(|r| r.map(|p| format!("Created {} (a copy).", p.name)))
        .or_else(|| {
            rename
                .value()
                .get()
                .map(|r| r.map(|p| format!("Renamed to {}.", p.name)))
        })
        .or_else(|| {
            delete
                .value()
                .get()
                .map(|r| r.map(|_| "Deleted.".to_string()))
        })
        .or_else(|| {
            activate
                .value()
                .get()
                .map(|r| r.map(|p| format!("{} is now active.", p.name)))
        })
}

/// The problems of the form, each with its field path, announced as they appear.
#[component]
fn ProblemList(problems: Memo<Vec<(String, String)>>) -> impl IntoView {
    view! {
        <div class="problem-slot" aria-live="polite">
            {move || {
                let problems = problems.get();
                (!problems.is_empty()).then(|| view! {
                    <div class="problem-list" role="alert">
                        <strong>{format!("{} problem(s) to fix before Save or Deploy", problems.len())}</strong>
                        <ul>
                            {problems.into_iter().map(|(path, rule)| view! {
                                <li><code>{path}</code>": "{rule}</li>
                            }).collect_view()}
                        </ul>
                    </div>
                })
            }}
        </div>
    }
}

/// The confirmation of a deploy: what the device holds beside what would be written.
#[component]
fn DeployDialog(
    preview: ServerAction<PreviewDeploy>,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    view! {
        <div class="confirm deploy-dialog" role="dialog" aria-modal="false" aria-labelledby="deploy-title"
            on:keydown=move |ev| if ev.key() == "Escape" { on_cancel() }>
            <h2 id="deploy-title" class="section-title">"Deploy to the device"</h2>
            {move || match preview.value().get() {
                None => view! { <p class="muted">"Reading the device…"</p> }.into_any(),
                Some(Err(error)) => view! {
                    <ErrorPanel error />
                    <button type="button" class="button button-secondary" on:click=move |_| on_cancel()>"Close"</button>
                }.into_any(),
                Some(Ok(plan)) => view! { <PreviewTable plan on_confirm on_cancel /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn PreviewTable(
    plan: DeployPreview,
    on_confirm: impl Fn(leptos::ev::MouseEvent) + Copy + Send + Sync + 'static,
    on_cancel: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let changes = plan.changes();
    let console_only = plan.console_only();
    let problems = plan.problems();
    let summary = format!(
        "{changes} field(s) will be written to the device; {} unchanged; {console_only} kept in the console only{}.",
        plan.fields.len() - changes - console_only - problems,
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
                <thead><tr>
                    <th scope="col">"Field"</th><th scope="col">"Device variable"</th>
                    <th scope="col" class="num">"Device now"</th><th scope="col" class="num">"New"</th>
                    <th scope="col">"Note"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|f| {
                        let note = match (&f.device_variable, &f.problem) {
                            (None, _) => "kept in the console only".to_string(),
                            (_, Some(problem)) => problem.clone(),
                            _ => "will be written".to_string(),
                        };
                        view! {
                            <tr class=if f.problem.is_some() { "row-bad" } else { "" }>
                                <td><code>{f.path}</code></td>
                                <td>{f.device_variable.unwrap_or_else(|| "—".into())}</td>
                                <td class="num"><del>{f.device.map(format_number).unwrap_or_else(|| "—".into())}</del></td>
                                <td class="num"><ins>{format_number(f.intended)}</ins></td>
                                <td>{note}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <div class="dialog-actions">
            <button type="button" class="button" disabled={problems > 0} on:click=on_confirm>
                {if changes == 0 { "Deploy (nothing to write)".to_string() } else { format!("Deploy {changes} change(s)") }}
            </button>
            <button type="button" class="button button-secondary" on:click=move |_| on_cancel()>"Cancel"</button>
        </div>
    }
}

/// The limits grid: one row per quantity and side.
#[component]
fn LimitsGrid(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
) -> impl IntoView {
    // Rows follow the set's quantities and sides; they change only when a recall replaces the
    // form (the revision), not on every keystroke.
    let rows = Memo::new(move |_| {
        state.revision.get();
        state.form.with_untracked(|form| {
            form.iter()
                .flat_map(|(quantity, limits)| {
                    limits
                        .sides()
                        .map(|(side, _)| (quantity.clone(), side))
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        })
    });
    view! {
        <div class="table-wrap limits-wrap">
            <table class="data-table limits-grid" aria-describedby="limits-help">
                <caption id="limits-help" class="muted">
                    "Thresholds in the quantity's units; delays in seconds. Changed fields are marked; "
                    "a field held by no device variable is kept in the console only (italic)."
                </caption>
                <thead>
                    <tr>
                        <th scope="col" rowspan="2">"Quantity"</th>
                        <th scope="col" rowspan="2">"Side"</th>
                        <th scope="col" rowspan="2" class="num">"Hyst."</th>
                        {Level::ALL.into_iter().map(|level| view! {
                            <th scope="colgroup" colspan="4" class=format!("level-head level-{}", level.as_str())>{level.label()}</th>
                        }).collect_view()}
                        <th scope="col" rowspan="2"><span class="visually-hidden">"Reset"</span></th>
                    </tr>
                    <tr>
                        {Level::ALL.into_iter().map(|_| view! {
                            <th scope="col" class="num">"Limit"</th>
                            <th scope="col" class="num">"On s"</th>
                            <th scope="col" class="num">"Off s"</th>
                            <th scope="col">"On"</th>
                        }).collect_view()}
                    </tr>
                </thead>
                <tbody>
                    <For each=move || rows.get() key=|row| row.clone() let((quantity, side))>
                        <LimitsRow state problems console_only quantity side />
                    </For>
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn LimitsRow(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
    quantity: String,
    side: Side,
) -> impl IntoView {
    let units = state.known.with_untracked(|k| {
        k.get(&quantity)
            .map(|i| i.units.clone())
            .unwrap_or_default()
    });
    let row_dirty = Signal::derive({
        let quantity = quantity.clone();
        move || {
            let form = state
                .form
                .with(|f| f.get(&quantity).and_then(|v| v.side(side)).cloned());
            let saved = state
                .saved
                .with(|s| s.get(&quantity).and_then(|v| v.side(side)).cloned());
            form != saved
        }
    });
    let reset = {
        let quantity = quantity.clone();
        move |_| {
            let saved = state
                .saved
                .with_untracked(|s| s.get(&quantity).and_then(|v| v.side(side)).cloned());
            state.form.update(|form| {
                if let Some(limits) = form.get_mut(&quantity) {
                    *limits.side_mut(side) = saved;
                }
            });
            state.unparsed.update(|u| {
                u.retain(|path, _| !path.starts_with(&format!("{quantity}.{}.", side.as_str())))
            });
            state.revision.update(|r| *r += 1);
        }
    };
    let cell = |level: Option<Level>, field: LimitField| {
        let path = FieldPath {
            variable: quantity.clone(),
            side,
            level,
            field,
        };
        view! { <FieldCell state problems console_only path /> }
    };
    view! {
        <tr class=move || if row_dirty.get() { "limits-row dirty-row" } else { "limits-row" }>
            <th scope="row" class="quantity">
                {quantity.clone()}
                {(!units.is_empty()).then(|| view! { <span class="unit">{format!(" {units}")}</span> })}
            </th>
            <td class=format!("side side-{}", side.as_str())>{side.label()}</td>
            {cell(None, LimitField::Hysteresis)}
            {Level::ALL.into_iter().map(|level| {
                let badge = {
                    let quantity = quantity.clone();
                    move || alarm_badge(&state.alarms.get(), &quantity, side, level)
                };
                view! {
                    {cell(Some(level), LimitField::Threshold)}
                    {cell(Some(level), LimitField::OnDuration)}
                    {cell(Some(level), LimitField::OffDuration)}
                    <td class="enable-cell">
                        <FieldCell state problems console_only path=FieldPath { variable: quantity.clone(), side, level: Some(level), field: LimitField::Enabled } />
                        {badge}
                    </td>
                }
            }).collect_view()}
            <td>
                <button type="button" class="button-link" disabled=move || !row_dirty.get() on:click=reset
                    aria-label=format!("Reset {} {}", quantity, side.as_str())>"Reset"</button>
            </td>
        </tr>
    }
}

/// The live state of one level as a small badge (nothing while normal).
fn alarm_badge(rows: &[AlarmRow], quantity: &str, side: Side, level: Level) -> Option<AnyView> {
    let row = rows
        .iter()
        .find(|r| r.view.variable == quantity && r.view.side == side && r.view.level == level)?;
    let remaining = row
        .view
        .remaining_ms
        .map(|ms| format!(" {}s", ms.div_ceil(1000)))
        .unwrap_or_default();
    let (class, text) = match row.view.state {
        AlarmState::Normal => return None,
        AlarmState::Pending => ("badge badge-warn", format!("pending{remaining}")),
        AlarmState::Active => ("badge badge-bad", "active".to_string()),
        AlarmState::Recovering => ("badge badge-warn", format!("recovering{remaining}")),
    };
    Some(
        view! {
            <span class=class data-testid=format!("alarm-{quantity}-{}-{}", side.as_str(), level.as_str())>{text}</span>
        }
        .into_any(),
    )
}

/// One input of the grid (a number, or the enable checkbox); an unset level shows a dash, and
/// its threshold field sets it.
#[component]
fn FieldCell(
    state: EditorState,
    problems: Memo<Vec<(String, String)>>,
    console_only: RwSignal<Vec<String>>,
    path: FieldPath,
) -> impl IntoView {
    let key = path.to_string();
    let problem = Signal::derive({
        let key = key.clone();
        move || {
            problems.with(|p| {
                p.iter()
                    .find(|(path, _)| *path == key)
                    .map(|(_, rule)| rule.clone())
            })
        }
    });
    let class = field_class(state, &path, problem, console_only);
    if path.field == LimitField::Enabled {
        return view! { <EnableInput state path class /> }.into_any();
    }
    view! { <NumberInput state path class problem /> }.into_any()
}

/// The classes of a grid input: `limit-input`, plus dirty, invalid and console-only as they apply.
fn field_class(
    state: EditorState,
    path: &FieldPath,
    problem: Signal<Option<String>>,
    console_only: RwSignal<Vec<String>>,
) -> Signal<String> {
    let key = path.to_string();
    let path = path.clone();
    Signal::derive(move || {
        let mut class = String::from("limit-input");
        if state.form.with(|f| f.get_field(&path)) != state.saved.with(|s| s.get_field(&path)) {
            class.push_str(" dirty");
        }
        if problem.get().is_some() {
            class.push_str(" invalid");
        }
        if console_only.with(|c| c.contains(&key)) {
            class.push_str(" console-only");
        }
        class
    })
}

/// The enable checkbox of a level (disabled while the level is unset).
#[component]
fn EnableInput(state: EditorState, path: FieldPath, class: Signal<String>) -> impl IntoView {
    let key = path.to_string();
    let label = key.replace('.', " ");
    let value = Signal::derive({
        let path = path.clone();
        move || state.form.with(|f| f.get_field(&path))
    });
    let checked = move || matches!(value.get(), Some(FieldValue::Bool(true)));
    let checked_initially = matches!(value.get_untracked(), Some(FieldValue::Bool(true)));
    view! {
        <input type="checkbox" class=move || class.get() data-path=key aria-label=label
            disabled=move || value.get().is_none()
            checked=checked_initially
            prop:checked=move || { state.revision.get(); checked() }
            on:change=move |ev| {
                let on = event_target_checked(&ev);
                state.form.update(|f| { let _ = f.set_field(&path, FieldValue::Bool(on)); });
            } />
    }
}

/// A number input in its cell; text that is not a number is kept aside as a problem.
#[component]
fn NumberInput(
    state: EditorState,
    path: FieldPath,
    class: Signal<String>,
    problem: Signal<Option<String>>,
) -> impl IntoView {
    let key = path.to_string();
    let label = key.replace('.', " ");
    let value = Signal::derive({
        let path = path.clone();
        move || state.form.with(|f| f.get_field(&path))
    });
    let shown = move || {
        state.revision.get();
        match value.get() {
            Some(FieldValue::Number(n)) => format_number(n),
            _ => String::new(),
        }
    };
    let level_missing = level_missing(state, path.clone());
    // The attribute carries the value in the server's HTML (no JavaScript); the property keeps
    // it current in the browser.
    let initial = match value.get_untracked() {
        Some(FieldValue::Number(n)) => format_number(n),
        _ => String::new(),
    };
    let key_set = key.clone();
    view! {
        <td class="num">
            <input type="text" inputmode="decimal" autocomplete="off" size="6"
                class=move || class.get() data-path=key aria-label=label
                placeholder=move || if level_missing.get() || value.get().is_none() { "—" } else { "" }
                disabled=level_missing
                aria-invalid=move || problem.get().is_some().to_string()
                title=move || problem.get().unwrap_or_default()
                value=initial.clone()
                prop:value=move || state.form.with_untracked(|_| shown())
                on:input=move |ev| {
                    let text = event_target_value(&ev);
                    match parse_number(&text) {
                        Ok(number) => {
                            state.unparsed.update(|u| { u.remove(&key_set); });
                            state.form.update(|f| { let _ = f.set_field(&path, FieldValue::Number(number)); });
                        }
                        Err(why) => state.unparsed.update(|u| { u.insert(key_set.clone(), why); }),
                    }
                } />
        </td>
    }
}

/// True while `path` is a level field other than the threshold and the level is unset: such
/// fields wait until the level exists.
fn level_missing(state: EditorState, path: FieldPath) -> Signal<bool> {
    Signal::derive(move || {
        path.field != LimitField::Threshold
            && path.level.is_some()
            && state.form.with(|f| {
                f.get_field(&FieldPath {
                    field: LimitField::Threshold,
                    ..path.clone()
                })
                .is_none()
            })
    })
}

/// A number as typed (a decimal comma is accepted), or why it is not one.
fn parse_number(text: &str) -> Result<f64, String> {
    let text = text.trim().replace(',', ".");
    if text.is_empty() {
        return Err("enter a number".into());
    }
    text.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite())
        .ok_or_else(|| format!("{text:?} is not a number"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_with_a_point_or_a_comma() {
        assert_eq!(parse_number(" 3.5 "), Ok(3.5));
        assert_eq!(parse_number("3,5"), Ok(3.5));
        assert!(parse_number("").is_err());
        assert!(parse_number("abc").unwrap_err().contains("not a number"));
        assert!(parse_number("inf").is_err());
    }
}
