//! The Protections toolbar: the profile selector and profile actions, Recall, the
//! unsaved-change count, Save and Deploy.

use leptos::prelude::*;
use model::auth::Permission;

use super::ProfileList;
use crate::api::protections::{ActivateProfile, CreateProfile, DeleteProfile, RenameProfile};
use crate::components::access::IfAllowed;
use crate::components::error_view::ErrorPanel;
use model::error::AppError;

/// The toolbar: profile, Recall buttons, the unsaved-change count, Save and Deploy.
#[component]
pub(super) fn EditorToolbar(
    profile: RwSignal<String>,
    profiles: ProfileList,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
    busy: Signal<bool>,
    blocked: Signal<bool>,
    dirty_count: Memo<usize>,
    on_save: Callback<()>,
    on_deploy: Callback<()>,
) -> AnyView {
    view! {
        <div class="protections-toolbar" role="toolbar" aria-label="Protections actions">
            <ProfilePicker profile profiles recall_from />
            <div class="toolbar-group" role="group" aria-label="Recall">
                <span class="muted">"Recall"</span>
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=busy
                    on:click=move |_| recall_from("current".into())
                >
                    "Current"
                </button>
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=busy
                    on:click=move |_| recall_from("default".into())
                >
                    "Default"
                </button>
                <IfAllowed permission=Permission::ReadDevicesNow>
                    <button
                        type="button"
                        class="button button-secondary"
                        disabled=busy
                        on:click=move |_| recall_from("device".into())
                    >
                        "Device"
                    </button>
                </IfAllowed>
            </div>
            <div class="toolbar-group toolbar-end">
                <span class="dirty-count muted" aria-live="polite">
                    {move || match dirty_count.get() {
                        0 => "No unsaved changes".to_string(),
                        1 => "1 unsaved change".to_string(),
                        n => format!("{n} unsaved changes"),
                    }}
                </span>
                <IfAllowed permission=Permission::SaveProtections>
                    <button
                        type="button"
                        class="button button-secondary"
                        disabled=blocked
                        on:click=move |_| on_save.run(())
                    >
                        "Save"
                    </button>
                </IfAllowed>
                <IfAllowed permission=Permission::DeployProtections>
                    <button
                        type="button"
                        class="button"
                        disabled=blocked
                        on:click=move |_| on_deploy.run(())
                    >
                        "Deploy…"
                    </button>
                </IfAllowed>
            </div>
        </div>
    }
    .into_any()
}

/// The profile selector and the profile actions (clone, rename, delete, activate).
#[component]
fn ProfilePicker(
    profile: RwSignal<String>,
    profiles: ProfileList,
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
    profiles: ProfileList,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
) -> AnyView {
    view! {
        <Transition fallback=|| {
            view! { <select id="profile-select" disabled=true></select> }
        }>
            {move || Suspend::new(async move {
                let list = profiles.await.unwrap_or_default();
                view! {
                    <select
                        id="profile-select"
                        on:change=move |ev| {
                            let name = event_target_value(&ev);
                            profile.set(name.clone());
                            recall_from(format!("profile:{name}"));
                        }
                    >
                        {list
                            .into_iter()
                            .map(|p| {
                                let selected = p.name == profile.get_untracked();
                                let label = format!(
                                    "{}{} · v{}",
                                    p.name,
                                    if p.active { " (active)" } else { "" },
                                    p.version,
                                );
                                view! {
                                    <option value=p.name.clone() selected=selected>
                                        {label}
                                    </option>
                                }
                            })
                            .collect_view()}
                    </select>
                }
            })}
        </Transition>
    }
    .into_any()
}

/// The "Profile…" menu: clone as, rename to, activate, delete, and the outcome of the last one.
#[component]
fn ProfileActions(
    profile: RwSignal<String>,
    profiles: ProfileList,
    recall_from: impl Fn(String) + Copy + Send + Sync + 'static,
) -> AnyView {
    let create = ServerAction::<CreateProfile>::new();
    let rename = ServerAction::<RenameProfile>::new();
    let delete = ServerAction::<DeleteProfile>::new();
    let activate = ServerAction::<ActivateProfile>::new();
    let (new_name, set_new_name) = signal(String::new());
    let outcome = RwSignal::new(None::<Result<String, AppError>>);
    let is_default = move || {
        let name = profile.get();
        profiles
            .get()
            .and_then(Result::ok)
            .is_some_and(|list| list.iter().any(|p| p.is_default && p.name == name))
    };
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
                <input
                    id="profile-new-name"
                    type="text"
                    autocomplete="off"
                    placeholder="e.g. summer"
                    prop:value=new_name
                    on:input=move |ev| set_new_name.set(event_target_value(&ev))
                />
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=move || new_name.get().trim().is_empty()
                    on:click=move |_| {
                        create
                            .dispatch(CreateProfile {
                                name: new_name.get_untracked().trim().to_string(),
                                description: format!("Copy of {}", profile.get_untracked()),
                                clone_from: Some(profile.get_untracked()),
                            });
                    }
                >
                    "Clone as"
                </button>
                <button
                    type="button"
                    class="button button-secondary"
                    disabled=move || new_name.get().trim().is_empty()
                    on:click=move |_| {
                        rename
                            .dispatch(RenameProfile {
                                name: profile.get_untracked(),
                                new_name: new_name.get_untracked().trim().to_string(),
                            });
                    }
                >
                    "Rename to"
                </button>
                <button
                    type="button"
                    class="button button-secondary"
                    on:click=move |_| {
                        activate
                            .dispatch(ActivateProfile {
                                name: profile.get_untracked(),
                            });
                    }
                >
                    "Activate"
                </button>
                // The default profile is what "Recall default" reads: it cannot be deleted, so
                // it is not offered.
                <Show when=move || !is_default()>
                    <button
                        type="button"
                        class="button button-danger"
                        on:click=move |_| {
                            delete
                                .dispatch(DeleteProfile {
                                    name: profile.get_untracked(),
                                });
                        }
                    >
                        "Delete"
                    </button>
                </Show>
                {move || {
                    outcome
                        .get()
                        .map(|result| match result {
                            Ok(message) => {
                                view! {
                                    <p class="notice notice-ok" role="status">
                                        {message}
                                    </p>
                                }
                                    .into_any()
                            }
                            Err(error) => view! { <ErrorPanel error /> }.into_any(),
                        })
                }}
            </div>
        </details>
    }
    .into_any()
}

/// The result of the first profile action that has one, as a message (tracks all four).
fn profile_outcome(
    create: ServerAction<CreateProfile>,
    rename: ServerAction<RenameProfile>,
    delete: ServerAction<DeleteProfile>,
    activate: ServerAction<ActivateProfile>,
) -> Option<Result<String, AppError>> {
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
