//! Powerdeck's shared model: serde types that cross the wire between browser and server, pure
//! functions over them (validation among them), and `AppError`, the one error type on the wire.

/// Asserts that the JSON and (with `server`) the database spell each of the given states as its
/// `as_str`: the stored text and the wire stay what they were when these were plain strings.
#[cfg(test)]
macro_rules! assert_spelled_as_str {
    ($($value:expr),+ $(,)?) => {
        $(
            let value = $value;
            let text = value.as_str();
            assert_eq!(serde_json::to_value(value).unwrap(), text, "{value:?}");
            #[cfg(feature = "server")]
            assert_eq!(sea_orm::ActiveEnum::to_value(&value), text, "{value:?}");
        )+
    };
}

pub mod auth;
pub mod error;

pub mod field;
pub mod profiles;
pub mod protections;
pub mod prototype;
pub mod registry;
pub mod site;
pub mod system;
