//! The Audit page (admins): who did what, when and from where, filtered by who, what and when,
//! a page at a time, with the same selection as CSV. The filters are a GET form, so the page
//! works without JavaScript and every view has its own address.

use leptos::prelude::*;

use crate::components::scroll_region::ScrollRegion;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use model::auth::{AuditAction, AuditEntryView, AuditOutcome, AuditPage, AuditQuery};
use serde_json::Value;

use crate::api::audit::get_audit;
use crate::components::error_view::ErrorPanel;

/// The query the address asks for (`?who=&action=&since=&until=&page=`).
fn query_from(map: &leptos_router::params::ParamsMap) -> AuditQuery {
    let text = |key: &str| map.get(key).filter(|value| !value.trim().is_empty());
    AuditQuery {
        who: text("who"),
        action: text("action").and_then(|action| AuditAction::parse(&action)),
        since: text("since"),
        until: text("until"),
        page: text("page").and_then(|page| page.parse().ok()),
        per_page: None,
    }
}

/// The address of `query` on `base` (the page, or the CSV export).
fn href(base: &str, query: &AuditQuery, page: Option<u64>) -> String {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if let Some(who) = &query.who {
        pairs.push(("who", who.clone()));
    }
    if let Some(action) = query.action {
        pairs.push(("action", action.to_string()));
    }
    if let Some(since) = &query.since {
        pairs.push(("since", since.clone()));
    }
    if let Some(until) = &query.until {
        pairs.push(("until", until.clone()));
    }
    if let Some(page) = page {
        pairs.push(("page", page.to_string()));
    }
    let encoded: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{key}={}", leptos_router::location::Url::escape(value)))
        .collect();
    if encoded.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", encoded.join("&"))
    }
}

#[component]
pub fn AuditLogPage() -> AnyView {
    let map = use_query_map();
    let query = Memo::new(move |_| map.with(query_from));
    let rows = Resource::new(move || query.get(), get_audit);
    view! {
        <Title text="Audit" />
        <section class="page page-wide" aria-labelledby="audit-title">
            <header class="page-header">
                <div>
                    <h1 id="audit-title">"Audit log"</h1>
                    <p class="muted">
                        "Every write and every sign-in: who, when, from where, what changed."
                    </p>
                </div>
                <div class="page-actions">
                    <a
                        class="button button-secondary"
                        href=move || href("/api/v1/audit.csv", &query.get(), None)
                        download="powerdeck-audit.csv"
                    >
                        "Export CSV"
                    </a>
                </div>
            </header>
            <AuditFilters query />
            <Transition fallback=|| {
                view! { <p class="muted">"Reading…"</p> }
            }>
                {move || Suspend::new(async move {
                    match rows.await {
                        Ok(page) => {
                            view! { <AuditTable page query=query.get_untracked() /> }.into_any()
                        }
                        Err(error) => view! { <ErrorPanel error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
    .into_any()
}

/// Who, what and when, as a GET form.
#[component]
fn AuditFilters(query: Memo<AuditQuery>) -> impl IntoView {
    let current = query.get_untracked();
    let chosen = current.action;
    view! {
        <form class="filter-bar" method="get" action="/audit" aria-label="Filter the audit log">
            <label class="field">
                <span class="field-label">"Who"</span>
                <input
                    name="who"
                    value=current.who.clone().unwrap_or_default()
                    placeholder="alice"
                />
            </label>
            <label class="field">
                <span class="field-label">"What"</span>
                <select name="action">
                    <option value="" selected=chosen.is_none()>
                        "Anything"
                    </option>
                    {AuditAction::ALL
                        .iter()
                        .map(|action| {
                            view! {
                                <option value=action.as_str() selected=chosen == Some(*action)>
                                    {action.as_str().replace('_', " ")}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <label class="field">
                <span class="field-label">"Since (RFC 3339)"</span>
                <input
                    name="since"
                    class="mono"
                    value=current.since.clone().unwrap_or_default()
                    placeholder="2026-12-01T00:00:00Z"
                />
            </label>
            <label class="field">
                <span class="field-label">"Until"</span>
                <input
                    name="until"
                    class="mono"
                    value=current.until.clone().unwrap_or_default()
                    placeholder="2026-12-02T00:00:00Z"
                />
            </label>
            <div class="field-actions">
                <button type="submit" class="button">
                    "Filter"
                </button>
                <a class="button button-secondary" href="/audit">
                    "Clear"
                </a>
            </div>
        </form>
    }
}

/// A value as the Change column shows it: text without quotes, a dash for nothing.
fn plain(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "—".to_string(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// `key: value, …` of an object (compact JSON of anything else).
fn fields(value: &Value) -> String {
    match value {
        Value::Object(map) => map
            .iter()
            .map(|(key, value)| format!("{key}: {}", plain(Some(value))))
            .collect::<Vec<_>>()
            .join(", "),
        other => plain(Some(other)),
    }
}

/// What an entry changed, in one line: each field that differs as `field: before → after`; a
/// creation as `+ fields`, a removal as `− fields`; else its detail.
fn change_text(entry: &AuditEntryView) -> String {
    match (&entry.before, &entry.after) {
        (Some(Value::Object(before)), Some(Value::Object(after))) => {
            let mut keys: Vec<&String> = before.keys().chain(after.keys()).collect();
            keys.sort();
            keys.dedup();
            let changed: Vec<String> = keys
                .into_iter()
                .filter(|key| before.get(*key) != after.get(*key))
                .map(|key| {
                    format!(
                        "{key}: {} → {}",
                        plain(before.get(key)),
                        plain(after.get(key))
                    )
                })
                .collect();
            if changed.is_empty() {
                "no change".to_string()
            } else {
                changed.join("; ")
            }
        }
        (None, Some(after)) => format!("+ {}", fields(after)),
        (Some(before), None) => format!("− {}", fields(before)),
        (Some(before), Some(after)) => format!("{} → {}", plain(Some(before)), plain(Some(after))),
        (None, None) => entry.detail.as_ref().map(fields).unwrap_or_default(),
    }
}

#[component]
fn AuditTable(page: AuditPage, query: AuditQuery) -> impl IntoView {
    let last_page = page.total.div_ceil(page.per_page).max(1);
    let first = (page.page - 1) * page.per_page + 1;
    let shown = page.entries.len() as u64;
    let summary = if page.total == 0 {
        "No rows match.".to_string()
    } else {
        format!("{first}–{} of {} rows", first + shown - 1, page.total)
    };
    let previous = (page.page > 1).then(|| href("/audit", &query, Some(page.page - 1)));
    let next = (page.page < last_page).then(|| href("/audit", &query, Some(page.page + 1)));
    let rows = page
        .entries
        .into_iter()
        .map(|entry| {
            let failed = entry.outcome == AuditOutcome::Failed;
            let change = change_text(&entry);
            view! {
                <tr class:audit-failed=failed>
                    <td class="mono nowrap">
                        {entry.at.replace('T', " ").chars().take(19).collect::<String>()}
                    </td>
                    <td>
                        <span class="audit-actor">{entry.actor}</span>
                        <span class="muted">{format!(" · {}", entry.actor_kind)}</span>
                    </td>
                    <td class="mono">{entry.address.unwrap_or_default()}</td>
                    <td>{entry.action.as_str().replace('_', " ")}</td>
                    <td class="mono">{entry.target}</td>
                    <td>
                        {if failed {
                            view! { <span class="badge badge-bad">"failed"</span> }.into_any()
                        } else {
                            view! { <span class="badge badge-good">"ok"</span> }.into_any()
                        }}
                    </td>
                    <td class="audit-change mono" title=change.clone()>
                        {change.clone()}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted">{summary}</p>
        <ScrollRegion label="Audit log">
            <table class="data-table audit-table">
                <thead>
                    <tr>
                        <th scope="col">"When (UTC)"</th>
                        <th scope="col">"Who"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"Target"</th>
                        <th scope="col">"Outcome"</th>
                        <th scope="col">"Change"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </ScrollRegion>
        <nav class="pager" aria-label="Pages">
            {previous
                .map(|href| {
                    view! {
                        <a class="button button-secondary" href=href>
                            "← Newer"
                        </a>
                    }
                })}
            <span class="muted">{format!("Page {} of {last_page}", page.page)}</span>
            {next
                .map(|href| {
                    view! {
                        <a class="button button-secondary" href=href>
                            "Older →"
                        </a>
                    }
                })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::auth::{ActorKind, AuditAction, AuditOutcome};
    use serde_json::json;

    fn entry(before: Option<Value>, after: Option<Value>, detail: Option<Value>) -> AuditEntryView {
        AuditEntryView {
            id: 1,
            at: "2026-12-03T08:00:00+00:00".into(),
            actor: "erin".into(),
            actor_kind: ActorKind::Session,
            user_id: None,
            session_id: None,
            token_id: None,
            address: None,
            action: AuditAction::UserChanged,
            target: "user dana".into(),
            outcome: AuditOutcome::Succeeded,
            before,
            after,
            detail,
        }
    }

    #[test]
    fn the_change_column_names_each_changed_field_with_before_and_after() {
        let changed = entry(
            Some(json!({"name": "dana", "role": "viewer", "disabled": false})),
            Some(json!({"name": "dana", "role": "operator", "disabled": true})),
            None,
        );
        assert_eq!(
            change_text(&changed),
            "disabled: false → true; role: viewer → operator"
        );
        let created = entry(None, Some(json!({"name": "dana", "role": "viewer"})), None);
        assert_eq!(change_text(&created), "+ name: dana, role: viewer");
        let removed = entry(Some(json!({"units": "%"})), None, None);
        assert_eq!(change_text(&removed), "− units: %");
        let cleared = entry(
            Some(json!({"locator": "a.b"})),
            Some(json!({"locator": null})),
            None,
        );
        assert_eq!(change_text(&cleared), "locator: a.b → —");
        let detail = entry(None, None, Some(json!({"reason": "wrong_password"})));
        assert_eq!(change_text(&detail), "reason: wrong_password");
    }
}
