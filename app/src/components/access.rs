//! Who is signed in, for showing only the actions their role allows. The server enforces every
//! permission (server/src/access); this keeps the actions a role may not take off the screen.
//!
//! The caller is read on the server from the request (the access layer put it there) and sent
//! with the page as a shared value in a few characters of text (`engineer:session:erin`): no
//! request, and neither server-function nor JSON code in the main bundle (the first page's
//! budget).

use std::fmt;
use std::str::FromStr;

use leptos::prelude::*;
use model::auth::{ActorKind, Permission, Role};

/// The signed-in caller as the console shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub name: String,
    pub role: Role,
    pub kind: ActorKind,
}

impl SignedIn {
    /// Whether the role allows `permission` (a token's scopes are the server's to check).
    pub fn can(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

/// The shared value: a caller or nobody (the login page). Sent as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Me(pub Option<SignedIn>);

impl fmt::Display for Me {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(me) => write!(f, "{}:{}:{}", me.role, me.kind, me.name),
            None => Ok(()),
        }
    }
}

impl FromStr for Me {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        if text.is_empty() {
            return Ok(Me(None));
        }
        let mut parts = text.splitn(3, ':');
        let (Some(role), Some(kind), Some(name)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!("not a signed-in caller: {text:?}"));
        };
        Ok(Me(Some(SignedIn {
            name: name.to_string(),
            role: Role::parse(role).ok_or_else(|| format!("unknown role {role:?}"))?,
            kind: ActorKind::parse(kind).ok_or_else(|| format!("unknown kind {kind:?}"))?,
        })))
    }
}

/// Reads who is signed in and provides it to everything below (called once, by the layout).
pub fn provide_me() -> Me {
    let me = SharedValue::new_str(signed_in).into_inner();
    provide_context(me.clone());
    me
}

#[cfg(feature = "ssr")]
fn signed_in() -> Me {
    let caller = use_context::<axum::http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<services::auth::Caller>().cloned());
    Me(caller.map(|caller| SignedIn {
        name: caller.identity.name,
        role: caller.identity.role,
        kind: caller.identity.kind,
    }))
}

/// In the browser the value always comes from the page.
#[cfg(not(feature = "ssr"))]
fn signed_in() -> Me {
    Me(None)
}

/// Whether the signed-in caller may do `permission`.
pub fn allowed(permission: Permission) -> bool {
    use_context::<Me>()
        .and_then(|Me(me)| me)
        .is_some_and(|me| me.can(permission))
}

/// Its children only when the signed-in caller may do `permission`.
#[component]
pub fn IfAllowed(permission: Permission, children: ChildrenFn) -> impl IntoView {
    allowed(permission).then(|| children())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_caller_travels_as_text_and_back() {
        let me = Me(Some(SignedIn {
            name: "erin:the:engineer".into(),
            role: Role::Engineer,
            kind: ActorKind::Session,
        }));
        assert_eq!(me.to_string(), "engineer:session:erin:the:engineer");
        assert_eq!(me.to_string().parse::<Me>(), Ok(me));
        assert_eq!("".parse::<Me>(), Ok(Me(None)));
        assert!("root".parse::<Me>().is_err());
    }
}
