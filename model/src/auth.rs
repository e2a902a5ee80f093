//! Operators, roles and the audit log (issue 13), as the browser, the services and the server
//! share them: the four roles and what each may do ([`Role::allows`]), an API token's extra
//! permissions ([`TokenScopes`]), who is acting ([`Identity`]), the password and name rules, and
//! the DTOs of users, API tokens and audit entries. Wasm-safe: no hashing, no database (the enums
//! are sea-orm columns behind the `server` feature, like the other model enums).

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::registry::FieldError;

/// A string-valued enum stored in a text column and sent as the same text: the variants with
/// their spelling, `ALL`, `as_str`, `parse` and `Display`.
macro_rules! stored_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // Every spelling is the variant's name in snake_case. Said once for the whole enum as
        // well: utoipa cannot read a variant's `rename = $text` through the macro (the literal
        // arrives wrapped), and the OpenAPI document would name the variants in CamelCase.
        #[serde(rename_all = "snake_case")]
        #[cfg_attr(
            feature = "server",
            derive(sea_orm::DeriveActiveEnum, sea_orm::EnumIter)
        )]
        #[cfg_attr(
            feature = "server",
            sea_orm(
                rs_type = "String",
                db_type = "String(sea_orm::sea_query::StringLen::None)"
            )
        )]
        pub enum $name {
            $(
                $(#[$vmeta])*
                #[serde(rename = $text)]
                #[cfg_attr(feature = "server", sea_orm(string_value = $text))]
                $variant,
            )+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling stored in the database and sent on the wire.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            pub fn parse(text: &str) -> Option<$name> {
                $name::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_enum! {
    /// What an operator may do, from least to most: each role may do everything the one before
    /// it may (the order of the variants is that order, so `Role::Operator < Role::Engineer`).
    pub enum Role {
        /// Reads everything.
        Viewer = "viewer",
        /// Also acknowledges alarms, reads devices now, starts scans.
        Operator = "operator",
        /// Also edits the registry and the site configuration, saves and deploys protections,
        /// writes device values.
        Engineer = "engineer",
        /// Also manages users and API tokens.
        Admin = "admin",
    }
}

stored_enum! {
    /// One thing a route or a page needs the caller to be allowed to do.
    pub enum Permission {
        Read = "read",
        AcknowledgeAlarms = "acknowledge_alarms",
        ReadDevicesNow = "read_devices_now",
        StartScans = "start_scans",
        EditRegistry = "edit_registry",
        EditSite = "edit_site",
        SaveProtections = "save_protections",
        DeployProtections = "deploy_protections",
        WriteDevices = "write_devices",
        ManageUsers = "manage_users",
        ManageTokens = "manage_tokens",
        ReadAudit = "read_audit",
    }
}

impl Permission {
    /// The least role that holds this permission: the one table every check reads.
    pub fn minimum_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::AcknowledgeAlarms | Permission::ReadDevicesNow | Permission::StartScans => {
                Role::Operator
            }
            Permission::EditRegistry
            | Permission::EditSite
            | Permission::SaveProtections
            | Permission::DeployProtections
            | Permission::WriteDevices => Role::Engineer,
            Permission::ManageUsers | Permission::ManageTokens | Permission::ReadAudit => {
                Role::Admin
            }
        }
    }
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::Viewer => "Viewer",
            Role::Operator => "Operator",
            Role::Engineer => "Engineer",
            Role::Admin => "Admin",
        }
    }

    /// Whether this role may do `permission` (each role holds its own and every lesser role's).
    pub fn allows(self, permission: Permission) -> bool {
        self >= permission.minimum_role()
    }
}

/// What an API token may do beyond reading what its role reads: deploying protections and
/// writing device values are refused to a token unless it was created with that permission,
/// even when its role has it (a script that reads must not be able to deploy by mistake).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenScopes {
    pub allow_deploy: bool,
    pub allow_device_writes: bool,
}

impl TokenScopes {
    /// Whether a token with this role and these scopes may do `permission`.
    pub fn allows(self, role: Role, permission: Permission) -> bool {
        role.allows(permission)
            && match permission {
                Permission::DeployProtections => self.allow_deploy,
                Permission::WriteDevices => self.allow_device_writes,
                _ => true,
            }
    }
}

stored_enum! {
    /// How the actor of an audit row was identified.
    pub enum ActorKind {
        /// A console session (cookie).
        Session = "session",
        /// An API token (`Authorization: Bearer`).
        Token = "token",
        /// The command line on the server (`powerdeck user add`, ...).
        Cli = "cli",
        /// The server itself (background jobs, start-up).
        System = "system",
        /// Nobody known yet: a failed login names the name that was typed.
        Anonymous = "anonymous",
    }
}

/// Who is acting: the name, the role and how they were identified. The request's extractor
/// builds one from a session or a token; the CLI builds one for the OS user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Identity {
    /// The user's name, or the token's name for a token.
    pub name: String,
    pub role: Role,
    pub kind: ActorKind,
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub token_id: Option<i64>,
    /// A token's extra permissions; `None` for anything that is not a token.
    pub scopes: Option<TokenScopes>,
}

impl Identity {
    /// The command line on the server: the OS user, with every permission (whoever can run the
    /// binary on the server can read its database anyway).
    pub fn cli(os_user: impl Into<String>) -> Identity {
        Identity {
            name: os_user.into(),
            role: Role::Admin,
            kind: ActorKind::Cli,
            user_id: None,
            session_id: None,
            token_id: None,
            scopes: None,
        }
    }

    /// The server itself or one of its commands acting under `name` (start-up imports, demo
    /// mode, benches).
    pub fn system(name: impl Into<String>) -> Identity {
        Identity {
            name: name.into(),
            role: Role::Admin,
            kind: ActorKind::System,
            user_id: None,
            session_id: None,
            token_id: None,
            scopes: None,
        }
    }

    /// Whether this caller may do `permission`: the role decides, and for a token its scopes.
    pub fn can(&self, permission: Permission) -> bool {
        match self.scopes {
            Some(scopes) => scopes.allows(self.role, permission),
            None => self.role.allows(permission),
        }
    }
}

stored_enum! {
    /// What an audit row records.
    pub enum AuditAction {
        LoginSucceeded = "login_succeeded",
        LoginFailed = "login_failed",
        Logout = "logout",
        PasswordChanged = "password_changed",
        UserCreated = "user_created",
        UserChanged = "user_changed",
        TokenCreated = "token_created",
        TokenRevoked = "token_revoked",
        RegistryWrite = "registry_write",
        SiteWrite = "site_write",
        ProtectionsSaved = "protections_saved",
        ProtectionsDeployed = "protections_deployed",
        DeviceWrite = "device_write",
        AlarmAcknowledged = "alarm_acknowledged",
    }
}

stored_enum! {
    /// How the recorded attempt ended.
    pub enum AuditOutcome {
        Succeeded = "succeeded",
        /// Refused: wrong credentials, a locked account, too many attempts, no permission.
        Failed = "failed",
    }
}

/// An account demo mode creates, shown on its login page (demo passwords are not secrets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoAccount {
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// What the login page shows before anyone signs in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginPageInfo {
    /// Demo mode's accounts (empty on a real site).
    pub demo_accounts: Vec<DemoAccount>,
    /// Whether pages can be read without signing in.
    pub anonymous_read: bool,
}

/// A user as the console and the API show it: never the password hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// RFC 3339.
    pub created_at: String,
    pub last_login_at: Option<String>,
    pub password_changed_at: String,
    /// Set while the account is locked after too many failed logins.
    pub locked_until: Option<String>,
    pub disabled: bool,
}

/// A user to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub password: String,
}

/// An admin's change to a user: any of role, disabled, unlock, or a new password (each one
/// given is applied; none given changes nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UserPatch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// A disabled user cannot sign in and their sessions end; enabling lets them in again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Lifts a lock after too many failed logins.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unlock: bool,
    /// A new password set by the admin (the user's sessions end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub new_password: Option<String>,
}

/// Changing one's password: the old one proves it is still the same person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PasswordChange {
    pub old_password: String,
    pub new_password: String,
}

/// An API token as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TokenView {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub scopes: TokenScopes,
    /// The secret's first characters (`pd_AbCd`), to tell tokens apart.
    pub prefix: String,
    pub created_by: String,
    /// RFC 3339.
    pub created_at: String,
    pub expires_at: Option<String>,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// An API token to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewToken {
    pub name: String,
    pub role: Role,
    /// Days until it expires; none: it never does.
    pub expires_days: Option<u32>,
    #[serde(default)]
    pub scopes: TokenScopes,
}

/// A token just created, with its secret: shown this once, only its hash is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedToken {
    pub token: TokenView,
    pub secret: String,
}

/// One row of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntryView {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// Who: the user's or the token's name, the OS user for the CLI, the name typed for a
    /// failed login.
    pub actor: String,
    pub actor_kind: ActorKind,
    pub user_id: Option<i64>,
    pub session_id: Option<i64>,
    pub token_id: Option<i64>,
    /// From where: the client's address.
    pub address: Option<String>,
    pub action: AuditAction,
    /// What: `user alice`, `token backup-script`, a variable's name, ...
    pub target: String,
    pub outcome: AuditOutcome,
    /// Why it failed, what else is worth knowing.
    pub detail: Option<Value>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Which audit rows to read, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditQuery {
    /// The actor's name, exactly.
    pub who: Option<String>,
    pub action: Option<AuditAction>,
    /// RFC 3339, inclusive.
    pub since: Option<String>,
    /// RFC 3339, exclusive.
    pub until: Option<String>,
    /// From 1.
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

impl AuditQuery {
    pub const DEFAULT_PER_PAGE: u64 = 50;
    pub const MAX_PER_PAGE: u64 = 500;
}

/// A page of audit rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub page: u64,
    pub per_page: u64,
    /// Rows matching the filter, on every page.
    pub total: u64,
}

/// The fewest characters a password may have (NIST SP 800-63B asks for at least 8; 12 for
/// accounts that can deploy protections to a plant).
pub const MIN_PASSWORD_CHARS: usize = 12;
/// argon2 hashes any length, but a megabyte of "password" is an attack on the server's time.
pub const MAX_PASSWORD_CHARS: usize = 1024;
/// The longest user or token name.
pub const MAX_NAME_CHARS: usize = 64;

/// The password rules: at least [`MIN_PASSWORD_CHARS`] characters, at most
/// [`MAX_PASSWORD_CHARS`], and not the user's name (in any case). Every broken rule at `field`.
pub fn validate_password(field: &str, name: &str, password: &str) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must have at least {MIN_PASSWORD_CHARS} characters (it has {chars})"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        errors.push(FieldError::new(
            field,
            format!("must have at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if !name.is_empty() && password.trim().to_lowercase() == name.trim().to_lowercase() {
        errors.push(FieldError::new(field, "must not be the user's name"));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// The rule of user and token names: 1 to [`MAX_NAME_CHARS`] characters, ASCII letters,
/// digits, `.`, `_`, `-` and `@`, starting with a letter or a digit (they appear in logs, on
/// the command line and in URLs).
pub fn validate_name(field: &str, name: &str) -> Result<(), FieldError> {
    let Some(first) = name.chars().next() else {
        return Err(FieldError::new(field, "must not be empty"));
    };
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(FieldError::new(
            field,
            format!("must have at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if !first.is_ascii_alphanumeric() {
        return Err(FieldError::new(
            field,
            "must start with a letter or a digit",
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@')))
    {
        return Err(FieldError::new(
            field,
            format!("may hold letters, digits, '.', '_', '-' and '@' only, not {bad:?}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The issue's table, written out: one row per permission, one column per role (viewer,
    /// operator, engineer, admin).
    const TABLE: [(Permission, [bool; 4]); 12] = [
        (Permission::Read, [true, true, true, true]),
        (Permission::AcknowledgeAlarms, [false, true, true, true]),
        (Permission::ReadDevicesNow, [false, true, true, true]),
        (Permission::StartScans, [false, true, true, true]),
        (Permission::EditRegistry, [false, false, true, true]),
        (Permission::EditSite, [false, false, true, true]),
        (Permission::SaveProtections, [false, false, true, true]),
        (Permission::DeployProtections, [false, false, true, true]),
        (Permission::WriteDevices, [false, false, true, true]),
        (Permission::ManageUsers, [false, false, false, true]),
        (Permission::ManageTokens, [false, false, false, true]),
        (Permission::ReadAudit, [false, false, false, true]),
    ];

    #[test]
    fn the_wire_spelling_is_the_stored_one() {
        for action in AuditAction::ALL {
            assert_eq!(serde_json::to_value(action).unwrap(), action.as_str());
        }
        for permission in Permission::ALL {
            assert_eq!(
                serde_json::to_value(permission).unwrap(),
                permission.as_str()
            );
        }
    }

    #[test]
    fn every_role_and_permission_pair_is_as_the_issue_says() {
        assert_eq!(TABLE.len(), Permission::ALL.len());
        let roles = [Role::Viewer, Role::Operator, Role::Engineer, Role::Admin];
        assert_eq!(roles.as_slice(), Role::ALL);
        for (permission, allowed) in TABLE {
            for (role, expected) in roles.into_iter().zip(allowed) {
                assert_eq!(role.allows(permission), expected, "{role} {permission}");
            }
        }
    }

    #[test]
    fn roles_are_ordered_from_viewer_to_admin() {
        assert!(Role::Viewer < Role::Operator);
        assert!(Role::Operator < Role::Engineer);
        assert!(Role::Engineer < Role::Admin);
    }

    #[test]
    fn a_token_deploys_or_writes_devices_only_with_that_scope() {
        let none = TokenScopes::default();
        let deploy = TokenScopes {
            allow_deploy: true,
            allow_device_writes: false,
        };
        let writes = TokenScopes {
            allow_deploy: false,
            allow_device_writes: true,
        };
        for role in Role::ALL.iter().copied() {
            for permission in Permission::ALL.iter().copied() {
                let special = matches!(
                    permission,
                    Permission::DeployProtections | Permission::WriteDevices
                );
                assert_eq!(
                    none.allows(role, permission),
                    role.allows(permission) && !special,
                    "{role} {permission}"
                );
            }
        }
        assert!(deploy.allows(Role::Engineer, Permission::DeployProtections));
        assert!(!deploy.allows(Role::Engineer, Permission::WriteDevices));
        assert!(writes.allows(Role::Admin, Permission::WriteDevices));
        // A scope never lifts a role above itself.
        assert!(!deploy.allows(Role::Operator, Permission::DeployProtections));
        assert!(!writes.allows(Role::Viewer, Permission::WriteDevices));

        let mut token = Identity::cli("x");
        token.kind = ActorKind::Token;
        token.role = Role::Engineer;
        token.scopes = Some(deploy);
        assert!(token.can(Permission::DeployProtections));
        assert!(!token.can(Permission::WriteDevices));
        assert!(!token.can(Permission::ManageUsers));
        assert!(Identity::cli("root").can(Permission::ManageTokens));
    }

    #[test]
    fn enums_are_spelled_as_stored() {
        for role in Role::ALL {
            assert_spelled_as_str!(*role);
            assert_eq!(Role::parse(role.as_str()), Some(*role));
        }
        for permission in Permission::ALL {
            assert_spelled_as_str!(*permission);
        }
        for kind in ActorKind::ALL {
            assert_spelled_as_str!(*kind);
        }
        for action in AuditAction::ALL {
            assert_spelled_as_str!(*action);
        }
        for outcome in AuditOutcome::ALL {
            assert_spelled_as_str!(*outcome);
        }
        assert_eq!(AuditAction::ALL.len(), 14);
        assert_eq!(Role::parse("root"), None);
        assert_eq!(
            serde_json::to_value(AuditAction::ProtectionsDeployed).unwrap(),
            "protections_deployed"
        );
    }

    #[test]
    fn passwords_need_twelve_characters_and_not_the_name() {
        assert_eq!(
            validate_password("password", "alice", "correct horse"),
            Ok(())
        );
        let short = validate_password("password", "alice", "short").unwrap_err();
        assert_eq!(short.len(), 1);
        assert_eq!(short[0].field, "password");
        assert!(short[0].message.contains("at least 12"), "{}", short[0]);
        // Twelve characters, counted as characters, not bytes.
        assert_eq!(validate_password("p", "bob", "ääääääääääää"), Ok(()));
        assert!(validate_password("p", "bob", "äääääääääää").is_err());
        let name = validate_password("new_password", "Administrator", "administrator").unwrap_err();
        assert_eq!(name[0].field, "new_password");
        assert!(name[0].message.contains("name"), "{}", name[0]);
        let both = validate_password("password", "ann", "ann").unwrap_err();
        assert_eq!(both.len(), 2);
        assert!(validate_password("p", "bob", &"x".repeat(1025)).is_err());
    }

    #[test]
    fn names_are_short_and_plain() {
        assert_eq!(validate_name("name", "alice"), Ok(()));
        assert_eq!(validate_name("name", "ci-deploy_2.x@site"), Ok(()));
        assert!(validate_name("name", "").is_err());
        assert!(validate_name("name", "-dash").is_err());
        assert!(validate_name("name", "a b").is_err());
        assert!(validate_name("name", &"a".repeat(65)).is_err());
        assert_eq!(validate_name("name", "é").unwrap_err().field, "name");
    }
}
