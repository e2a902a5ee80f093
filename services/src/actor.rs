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

    /// The console's operator. Until accounts exist every console write is recorded as this.
    pub fn console_operator() -> Self {
        Actor::new("operator", "console")
    }
}
