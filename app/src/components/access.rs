//! Who is signed in, for showing only the actions their role allows. The server enforces every
//! permission (server/src/access); this keeps the actions a role may not take off the screen.

use leptos::prelude::*;
use model::auth::{Identity, Permission};
use model::error::AppError;

use crate::api::session::whoami;

/// The signed-in caller, loaded once by the layout and shared with every page.
#[derive(Clone, Copy)]
pub struct Me(pub Resource<Result<Identity, AppError>>);

/// Loads who is signed in and provides it to everything below (called by the layout).
pub fn provide_me() -> Me {
    let me = Me(Resource::new(|| (), |_| whoami()));
    provide_context(me);
    me
}

/// Whether the signed-in caller may do `permission` (false while unknown).
pub fn allowed(permission: Permission) -> impl Fn() -> bool + Copy + Send + Sync + 'static {
    let me = use_context::<Me>();
    move || {
        me.and_then(|me| me.0.get())
            .and_then(Result::ok)
            .is_some_and(|identity| identity.can(permission))
    }
}

/// Its children only when the signed-in caller may do `permission`.
#[component]
pub fn IfAllowed(permission: Permission, children: ChildrenFn) -> impl IntoView {
    let allowed = allowed(permission);
    view! { <Transition fallback=|| ()>{move || allowed().then(|| children())}</Transition> }
}
