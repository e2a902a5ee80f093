//! The Protections editor: its server actions, the wiring of its parts, and the notice and
//! problem lines above the grid.

use leptos::prelude::*;
use model::profiles::Recalled;
use model::protections::ProtectionSet;

use super::alarms::AlarmsPanel;
use super::deploy::DeployArea;
use super::grid::LimitsGrid;
use super::history::DeploymentsPanel;
use super::outcomes::{follow_alarms, on_deployed, on_recalled, on_saved};
use super::state::EditorState;
use super::toolbar::EditorToolbar;
use crate::api::protections::{
    DeployProtections, LimitsLive, PreviewDeploy, RecallProtections, SaveProtections, list_profiles,
};

/// The server actions the editor dispatches.
#[derive(Clone, Copy)]
struct EditorActions {
    recall: ServerAction<RecallProtections>,
    save: ServerAction<SaveProtections>,
    preview: ServerAction<PreviewDeploy>,
    deploy: ServerAction<DeployProtections>,
}

impl EditorActions {
    fn new() -> Self {
        EditorActions {
            recall: ServerAction::new(),
            save: ServerAction::new(),
            preview: ServerAction::new(),
            deploy: ServerAction::new(),
        }
    }

    /// True while any of them runs (tracked): Save, Deploy and Recall wait meanwhile.
    fn busy(&self) -> bool {
        self.save.pending().get()
            || self.deploy.pending().get()
            || self.preview.pending().get()
            || self.recall.pending().get()
    }

    fn save(&self, profile: String, protections: ProtectionSet) {
        self.save.dispatch(SaveProtections {
            profile: Some(profile),
            protections,
        });
    }

    fn preview(&self, profile: String, protections: ProtectionSet) {
        self.preview.dispatch(PreviewDeploy {
            profile,
            protections,
        });
    }

    fn deploy(&self, profile: String, protections: ProtectionSet, racks: Option<Vec<i32>>) {
        self.deploy.dispatch(DeployProtections {
            profile: Some(profile),
            protections,
            racks,
        });
    }
}

/// The editor: toolbar, notices, problems, deploy dialog, the limits grid and the panels below.
#[component]
pub(super) fn Editor(recalled: Recalled, live: Option<LimitsLive>) -> AnyView {
    let state = EditorState::new(&recalled);
    if let Some(live) = live {
        state.show_live(live);
    }
    let profile = RwSignal::new(recalled.profile.clone());
    let console_only = RwSignal::new(recalled.console_only.clone());
    let notice = RwSignal::new(None::<(bool, String)>);
    let actions = EditorActions::new();
    let profiles = Resource::new(|| (), |_| list_profiles());
    let show_preview = RwSignal::new(false);
    // The racks the Deploy dialog chose (`None`: every rack, the default).
    let racks = RwSignal::new(None::<Vec<i32>>);
    let deployments_changed = RwSignal::new(0u64);

    on_recalled(actions.recall, state, profile, console_only, notice);
    on_saved(actions.save, state, profiles, notice);
    on_deployed(actions.deploy, state, profiles, deployments_changed);
    follow_alarms(state);

    let problems = Memo::new(move |_| state.problems());
    let dirty_count = Memo::new(move |_| state.dirty_count());
    let busy = Signal::derive(move || actions.busy());
    let blocked = Signal::derive(move || !problems.get().is_empty() || busy.get());

    let on_save = Callback::new(move |()| {
        actions.save(profile.get_untracked(), state.form.get_untracked());
    });
    let on_deploy = Callback::new(move |()| {
        racks.set(None);
        show_preview.set(true);
        actions.preview(profile.get_untracked(), state.form.get_untracked());
    });
    let on_confirm = move |_| {
        show_preview.set(false);
        actions.deploy(
            profile.get_untracked(),
            state.form.get_untracked(),
            racks.get_untracked(),
        );
    };
    let recall_from = move |source: String| {
        actions.recall.dispatch(RecallProtections { source });
    };
    let (preview, deploy) = (actions.preview, actions.deploy);

    view! {
        <EditorToolbar profile profiles recall_from busy blocked dirty_count on_save on_deploy />
        <NoticeSlot notice />
        <ProblemList problems />
        <DeployArea preview deploy show_preview racks on_confirm />
        <LimitsGrid state problems console_only />
        <AlarmsPanel />
        <DeploymentsPanel changed=deployments_changed />
    }
    .into_any()
}

/// The last outcome of a recall, save or deploy, as a status line.
#[component]
fn NoticeSlot(notice: RwSignal<Option<(bool, String)>>) -> impl IntoView {
    view! {
        <div class="notice-slot" aria-live="polite">
            {move || {
                notice
                    .get()
                    .map(|(ok, text)| {
                        view! {
                            <p
                                class=if ok { "notice notice-ok" } else { "notice notice-bad" }
                                role="status"
                            >
                                {text}
                            </p>
                        }
                    })
            }}
        </div>
    }
}

/// The problems of the form, each with its field path, announced as they appear.
#[component]
fn ProblemList(problems: Memo<Vec<(String, String)>>) -> AnyView {
    view! {
        <div class="problem-slot" aria-live="polite">
            {move || {
                let problems = problems.get();
                (!problems.is_empty())
                    .then(|| {
                        view! {
                            <div class="problem-list" role="alert">
                                <strong>
                                    {format!(
                                        "{} problem(s) to fix before Save or Deploy",
                                        problems.len(),
                                    )}
                                </strong>
                                <ul>
                                    {problems
                                        .into_iter()
                                        .map(|(path, rule)| {
                                            view! {
                                                <li>
                                                    <code>{path}</code>
                                                    ": "
                                                    {rule}
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </div>
                        }
                    })
            }}
        </div>
    }
    .into_any()
}
