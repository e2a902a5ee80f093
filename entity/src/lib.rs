//! sea-orm entities: one module per table of the Powerdeck database.

pub mod alarm_journal;
pub mod auth;
pub mod field_configuration;
pub mod protection_deployment;
pub mod protection_deployment_field;
pub mod protection_limit;
pub mod protection_profile;
pub mod site;
pub mod system_variable;
pub mod system_version;
pub mod variable_access_path;
pub mod variable_change_log;

pub mod prelude {
    //! The entity types under short names, for `use entity::prelude::*`.
    pub use crate::alarm_journal::Entity as AlarmJournal;
    pub use crate::field_configuration::Entity as FieldConfiguration;
    pub use crate::protection_deployment::Entity as ProtectionDeployment;
    pub use crate::protection_deployment_field::Entity as ProtectionDeploymentField;
    pub use crate::protection_limit::Entity as ProtectionLimit;
    pub use crate::protection_profile::Entity as ProtectionProfile;
    pub use crate::system_variable::Entity as SystemVariable;
    pub use crate::system_version::Entity as SystemVersion;
    pub use crate::variable_access_path::Entity as VariableAccessPath;
    pub use crate::variable_change_log::Entity as VariableChangeLog;
}
