//! Protection limits on the server: the live alarm state machine ([`engine`]) and the rule that
//! names each protection field among the registry's device variables ([`naming`]). The shared
//! types and the validation live in `crate::model::protections`.

pub mod engine;
pub mod naming;
