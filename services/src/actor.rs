//! `Actor`: who makes a change and from which system. Every domain records it on its change log
//! (registry, protections, and the site configuration and audit to come).

/// Who makes a change and from which system; recorded on every change-log row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    pub source_system: String,
}

impl Actor {
    pub fn new(user: impl Into<String>, source_system: impl Into<String>) -> Self {
        Actor {
            user: user.into(),
            source_system: source_system.into(),
        }
    }

    /// A verified caller (a console session, an API token) writing from `source_system`.
    pub fn of(caller: &crate::auth::Caller, source_system: impl Into<String>) -> Self {
        Actor::new(caller.identity.name.clone(), source_system)
    }
}
