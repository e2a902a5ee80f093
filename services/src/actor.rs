//! `Actor`: who makes a change and from which system. Every domain records it on its change log
//! (registry, protections, site configuration) and in the audit log, in the change's own
//! transaction ([`Actor::audit`]).

use chrono::{DateTime, Utc};
use model::auth::{AuditAction, Identity};

use crate::auth::Caller;
use crate::auth::audit::AuditEntry;

/// Who makes a change and from which system; recorded on every change-log row and audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The name the change logs record (the caller's).
    pub user: String,
    pub source_system: String,
    /// Who, as the audit log records it: how they were identified and from where.
    pub caller: Caller,
}

impl Actor {
    /// The server itself or one of its commands, acting as `user` (start-up, demo mode,
    /// command-line imports, benches).
    pub fn new(user: impl Into<String>, source_system: impl Into<String>) -> Self {
        let user = user.into();
        Actor {
            caller: Caller::new(Identity::system(user.clone()), None),
            user,
            source_system: source_system.into(),
        }
    }

    /// A verified caller (a console session, an API token) writing from `source_system`.
    pub fn of(caller: &Caller, source_system: impl Into<String>) -> Self {
        Actor {
            user: caller.identity.name.clone(),
            source_system: source_system.into(),
            caller: caller.clone(),
        }
    }

    /// The audit row of `action` on `target` by this actor at `at`.
    pub fn audit(
        &self,
        action: AuditAction,
        target: impl Into<String>,
        at: DateTime<Utc>,
    ) -> AuditEntry {
        AuditEntry::new(&self.caller, action, target, at).detail(serde_json::json!({
            "source_system": self.source_system,
        }))
    }
}
