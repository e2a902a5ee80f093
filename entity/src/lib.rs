//! sea-orm entities: one module per table of the Powerdeck database.

pub mod system_variable;
pub mod system_version;
pub mod variable_access_path;
pub mod variable_change_log;

pub mod prelude {
    //! The entity types under short names, for `use entity::prelude::*`.
    pub use crate::system_variable::Entity as SystemVariable;
    pub use crate::system_version::Entity as SystemVersion;
    pub use crate::variable_access_path::Entity as VariableAccessPath;
    pub use crate::variable_change_log::Entity as VariableChangeLog;
}
