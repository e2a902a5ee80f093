//! The audit log: one append-only row per write and per login attempt, saying who (name, kind,
//! user, session or token), when, from where (address) and what (action, target, before →
//! after, outcome). [`record`] takes any connection, a transaction included: a write records
//! its row in its own transaction, so the row exists exactly when the change does. [`list`]
//! reads it newest first, filtered and paged.

use chrono::{DateTime, Utc};
use entity::auth::audit_log;
use model::auth::{ActorKind, AuditAction, AuditEntryView, AuditOutcome, AuditPage, AuditQuery};
use model::error::AppError;
use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde_json::Value;

use super::{Caller, rfc3339};

/// The longest actor name stored: a failed login records the name that was typed, which may
/// be anything.
const MAX_ACTOR_CHARS: usize = 128;

/// One row to append.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub actor_kind: ActorKind,
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub token_id: Option<i64>,
    pub address: Option<String>,
    pub action: AuditAction,
    pub target: String,
    pub outcome: AuditOutcome,
    pub detail: Option<Value>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditEntry {
    /// A successful `action` on `target` by `caller` at `at`.
    pub fn new(
        caller: &Caller,
        action: AuditAction,
        target: impl Into<String>,
        at: DateTime<Utc>,
    ) -> AuditEntry {
        let identity = &caller.identity;
        AuditEntry {
            at,
            actor: identity.name.clone(),
            actor_kind: identity.kind,
            user_id: identity.user_id,
            session_id: identity.session_id,
            token_id: identity.token_id,
            address: caller.address.clone(),
            action,
            target: target.into(),
            outcome: AuditOutcome::Succeeded,
            detail: None,
            before: None,
            after: None,
        }
    }

    /// An attempt by someone not (yet) known: the name they gave, from `address`.
    pub fn anonymous(
        name: &str,
        address: Option<&str>,
        action: AuditAction,
        target: impl Into<String>,
        at: DateTime<Utc>,
    ) -> AuditEntry {
        AuditEntry {
            at,
            actor: name.to_string(),
            actor_kind: ActorKind::Anonymous,
            user_id: None,
            session_id: None,
            token_id: None,
            address: address.map(str::to_string),
            action,
            target: target.into(),
            outcome: AuditOutcome::Succeeded,
            detail: None,
            before: None,
            after: None,
        }
    }

    /// The attempt was refused.
    pub fn failed(mut self) -> AuditEntry {
        self.outcome = AuditOutcome::Failed;
        self
    }

    pub fn detail(mut self, detail: Value) -> AuditEntry {
        self.detail = Some(detail);
        self
    }

    /// What it was and what it became (either may be none: created, deleted).
    pub fn change(mut self, before: Option<Value>, after: Option<Value>) -> AuditEntry {
        self.before = before;
        self.after = after;
        self
    }
}

fn json_text(value: Option<Value>) -> Option<String> {
    value.map(|value| value.to_string())
}

/// Appends `entry` on `conn` (a transaction: the row commits or rolls back with the change it
/// records) and returns its id.
pub async fn record(conn: &impl ConnectionTrait, entry: AuditEntry) -> Result<i64, AppError> {
    let actor: String = entry.actor.chars().take(MAX_ACTOR_CHARS).collect();
    let row = audit_log::ActiveModel {
        id: NotSet,
        at: Set(entry.at),
        actor: Set(actor),
        actor_kind: Set(entry.actor_kind),
        user_id: Set(entry.user_id),
        session_id: Set(entry.session_id),
        token_id: Set(entry.token_id),
        address: Set(entry.address),
        action: Set(entry.action),
        target: Set(entry.target),
        outcome: Set(entry.outcome),
        detail: Set(json_text(entry.detail)),
        before: Set(json_text(entry.before)),
        after: Set(json_text(entry.after)),
    };
    let inserted = audit_log::Entity::insert(row).exec(conn).await?;
    Ok(inserted.last_insert_id)
}

fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>, AppError> {
    DateTime::parse_from_rfc3339(text)
        .map(|at| at.with_timezone(&Utc))
        .map_err(|_| AppError::validation(field, format!("{text:?} is not an RFC 3339 time")))
}

fn filtered(query: &AuditQuery) -> Result<Select<audit_log::Entity>, AppError> {
    let mut select = audit_log::Entity::find();
    if let Some(who) = &query.who {
        select = select.filter(audit_log::Column::Actor.eq(who.as_str()));
    }
    if let Some(action) = query.action {
        select = select.filter(audit_log::Column::Action.eq(action));
    }
    if let Some(since) = &query.since {
        select = select.filter(audit_log::Column::At.gte(parse_time("since", since)?));
    }
    if let Some(until) = &query.until {
        select = select.filter(audit_log::Column::At.lt(parse_time("until", until)?));
    }
    Ok(select)
}

fn parse_json(text: Option<String>) -> Option<Value> {
    // Written by `record` from a `Value`; a row edited by hand keeps its text as a string.
    text.map(|text| serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

fn view(row: audit_log::Model) -> AuditEntryView {
    AuditEntryView {
        id: row.id,
        at: rfc3339(row.at),
        actor: row.actor,
        actor_kind: row.actor_kind,
        user_id: row.user_id,
        session_id: row.session_id,
        token_id: row.token_id,
        address: row.address,
        action: row.action,
        target: row.target,
        outcome: row.outcome,
        detail: parse_json(row.detail),
        before: parse_json(row.before),
        after: parse_json(row.after),
    }
}

/// The rows `query` selects, newest first, one page of them.
pub async fn list(db: &impl ConnectionTrait, query: &AuditQuery) -> Result<AuditPage, AppError> {
    let per_page = query
        .per_page
        .unwrap_or(AuditQuery::DEFAULT_PER_PAGE)
        .clamp(1, AuditQuery::MAX_PER_PAGE);
    let page = query.page.unwrap_or(1).max(1);
    let total = filtered(query)?.count(db).await?;
    let rows = filtered(query)?
        .order_by_desc(audit_log::Column::Id)
        // A page far beyond the rows is an empty page, not an offset the database cannot take.
        .offset((page - 1).saturating_mul(per_page).min(i64::MAX as u64))
        .limit(per_page)
        .all(db)
        .await?;
    Ok(AuditPage {
        entries: rows.into_iter().map(view).collect(),
        page,
        per_page,
        total,
    })
}
