//! Deleting a row: first what the delete takes with it (the rows removed with it per kind, the
//! attachments closed and kept, the meters that become system-level meters), then the
//! confirmation, at the version the preview read.

use leptos::prelude::*;

use super::forms::{FormErrors, close_on_success};
use super::{SiteCtx, counted, plural};
use crate::api::site::{DeleteSiteRow, preview_site_delete};
use crate::components::error_view::ErrorPanel;
use model::site::tree::{DeletePreview, EntityKind};

/// The preview of deleting `kind` `id`, and the confirmation.
#[component]
pub(super) fn DeletePanel(kind: EntityKind, id: String, ctx: SiteCtx) -> AnyView {
    let preview = Resource::new(
        move || (kind, id.clone()),
        |(kind, id)| preview_site_delete(kind, id),
    );
    view! {
        <div
            class="edit-panel danger-zone site-delete"
            role="group"
            aria-label=format!("Delete {kind}")
        >
            <Suspense fallback=|| {
                view! { <p class="muted">"Reading what the delete takes with it…"</p> }
            }>
                {move || Suspend::new(async move {
                    match preview.await {
                        Ok(preview) => view! { <ConfirmDelete preview ctx /> }.into_any(),
                        Err(error) => {
                            view! {
                                <ErrorPanel error />
                                <a class="button button-secondary" href=ctx.close_href()>
                                    "Close"
                                </a>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </div>
    }
    .into_any()
}

/// The consequences in words, one per line.
fn consequences(preview: &DeletePreview) -> Vec<String> {
    let mut lines: Vec<String> = preview
        .removes
        .iter()
        .filter(|r| r.count > 0)
        .map(|r| {
            let n = usize::try_from(r.count).unwrap_or(usize::MAX);
            let label = r.kind.label();
            format!("removes {}", counted(n, label, &plural(label)))
        })
        .collect();
    if preview.closes_attachments > 0 {
        let n = usize::try_from(preview.closes_attachments).unwrap_or(usize::MAX);
        lines.push(format!(
            "ends {} (kept in the history)",
            counted(n, "attachment", "attachments")
        ));
    }
    if preview.unassigns_meters > 0 {
        let n = usize::try_from(preview.unassigns_meters).unwrap_or(usize::MAX);
        lines.push(format!(
            "makes {} system-level",
            counted(n, "meter", "meters")
        ));
    }
    lines
}

#[component]
fn ConfirmDelete(preview: DeletePreview, ctx: SiteCtx) -> AnyView {
    let delete = ServerAction::<DeleteSiteRow>::new();
    let error = Signal::derive(move || delete.value().get().and_then(Result::err));
    close_on_success(delete.value(), ctx);
    let lines = consequences(&preview);
    let what = preview.kind.label();
    let title = format!("Delete {what} {}?", preview.id);
    view! {
        <p>
            <strong>{title}</strong>
        </p>
        {if lines.is_empty() {
            view! { <p class="muted">"Nothing else goes with it."</p> }.into_any()
        } else {
            view! {
                <p>"This also:"</p>
                <ul class="site-consequences">
                    {lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}
                </ul>
            }
                .into_any()
        }}
        <ActionForm action=delete attr:class="field-actions" attr:aria-label="Confirm delete">
            <input type="hidden" name="kind" value=preview.kind.as_str() />
            <input type="hidden" name="id" value=preview.id.clone() />
            <input type="hidden" name="expected_version" value=preview.version.to_string() />
            <button
                type="submit"
                class="button button-danger"
                disabled=move || delete.pending().get()
            >
                {format!("Delete {what}")}
            </button>
            <a class="button button-secondary" href=ctx.close_href()>
                "Cancel"
            </a>
        </ActionForm>
        <FormErrors error fields=&[] what=what.to_string() ctx />
    }
    .into_any()
}
