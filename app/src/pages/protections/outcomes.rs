//! What the Protections editor does when a recall, save or deploy returns, and the live alarm
//! refresh.

use leptos::prelude::*;

use super::ProfileList;
use super::state::EditorState;
use crate::api::protections::{DeployProtections, RecallProtections, SaveProtections, grid_live};
use crate::components::refresh::refresh_every;
use model::profiles::{DeploymentStatus, Recalled};

/// How often alarm badges refresh once hydrated.
const ALARM_REFRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// Keeps the live alarm badges and the "Now" column current.
pub(super) fn follow_alarms(state: EditorState) {
    refresh_every(ALARM_REFRESH, move || {
        let quantities: Vec<String> = state.form.with_untracked(|f| f.keys().cloned().collect());
        leptos::task::spawn_local(async move {
            if let Ok(live) = grid_live(quantities).await {
                state.show_live(live);
            }
        });
    });
}

/// A recall replaces the form; a recalled profile (not the default or the device) also becomes
/// the reference for dirty markers.
pub(super) fn on_recalled(
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
                    state.registers.set(recalled.registers.clone());
                    let complete = recalled.read_errors.is_empty();
                    state.replace_form(recalled.protections.clone());
                    let differing = untrack(|| state.dirty_count());
                    let text = recall_notice(&recalled, differing);
                    notice.set(Some((complete, text)));
                }
                Err(error) => notice.set(Some((false, error.to_string()))),
            }
        }
    });
}

/// The notice after a recall: where from, how it compares with the saved profile (the same
/// count the toolbar shows), and how many fields could not be read.
fn recall_notice(recalled: &Recalled, differing: usize) -> String {
    let from = match recalled.source.as_str() {
        "default" => Some("the factory defaults"),
        "device" => Some("what the device holds"),
        _ => None,
    };
    let label = match (from, differing) {
        (Some(from), 0) => format!("{from}: the same as the saved profile"),
        (Some(from), 1) => {
            format!("{from}: 1 field differs from the saved profile (not saved yet)")
        }
        (Some(from), n) => {
            format!("{from}: {n} fields differ from the saved profile (not saved yet)")
        }
        (None, _) => format!("profile {} version {}", recalled.profile, recalled.version),
    };
    let unread = recalled.read_errors.len();
    if unread > 0 {
        format!("Recalled {label}; {unread} field(s) could not be read and keep their values.")
    } else {
        format!("Recalled {label}.")
    }
}

/// A save makes the form the reference for dirty markers and refreshes the profile list.
pub(super) fn on_saved(
    save: ServerAction<SaveProtections>,
    state: EditorState,
    profiles: ProfileList,
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
pub(super) fn on_deployed(
    deploy: ServerAction<DeployProtections>,
    state: EditorState,
    profiles: ProfileList,
    deployments_changed: RwSignal<u64>,
) {
    Effect::new(move |_| {
        if let Some(result) = deploy.value().get() {
            deployments_changed.update(|n| *n += 1);
            profiles.refetch();
            if let Ok(detail) = &result
                && detail.summary.status == DeploymentStatus::Succeeded
            {
                state.saved.set(state.form.get_untracked());
            }
        }
    });
}
