//! sea-orm entities: one module per table of the Powerdeck database.

pub mod system_version;

pub mod prelude {
    //! The entity types under short names, for `use entity::prelude::*`.
    pub use crate::system_version::Entity as SystemVersion;
}
