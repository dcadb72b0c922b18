//! Who is signed in and what they may do: directory roles, privileges, `GET /api/v1/me`.
//!
//! Both sides read the same claims (`oid`, `name`, `preferred_username`, `wids`), so the
//! rules turning them into roles and a display name live here: [`roles_from_wids`] and
//! [`display_name`].

use serde::{Deserialize, Serialize};

#[cfg(feature = "openapi")]
use utoipa::ToSchema;

use crate::spelling::wire_enum;

wire_enum! {
    /// A directory role the portal knows, identified in access tokens by its `wids` template id.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum Role {
        GlobalAdministrator => "global_administrator",
        SecurityAdministrator => "security_administrator",
        CloudAppSecurityAdministrator => "cloud_app_security_administrator",
        ComplianceAdministrator => "compliance_administrator",
        SecurityOperator => "security_operator",
        SecurityReader => "security_reader",
        GlobalReader => "global_reader",
    }
}

impl Role {
    /// The Entra ID role template id carried in the `wids` claim.
    pub const fn wid(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "62e90394-69f5-4237-9190-012177145e10",
            Role::SecurityAdministrator => "194ae4cb-b126-40b2-bd5b-6091b380977d",
            Role::CloudAppSecurityAdministrator => "892c5842-a9a6-463a-8041-72aa08ca3cf6",
            Role::ComplianceAdministrator => "17315797-102d-40b4-93e0-432062caca18",
            Role::SecurityOperator => "5f2222b1-57c3-48ba-8ad5-d4759f1fde6f",
            Role::SecurityReader => "5d6b6bb7-de71-4623-b4af-96380a352509",
            Role::GlobalReader => "f2ef992c-3afb-46b9-b7cf-a126ee74c451",
        }
    }

    /// The role whose template id is `wid` (case-insensitive), if the portal knows it.
    pub fn from_wid(wid: &str) -> Option<Role> {
        Role::ALL
            .into_iter()
            .find(|r| r.wid().eq_ignore_ascii_case(wid))
    }

    /// The name shown to people.
    pub const fn display_name(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global administrator",
            Role::SecurityAdministrator => "Security administrator",
            Role::CloudAppSecurityAdministrator => "Cloud App Security administrator",
            Role::ComplianceAdministrator => "Compliance administrator",
            Role::SecurityOperator => "Security operator",
            Role::SecurityReader => "Security reader",
            Role::GlobalReader => "Global reader",
        }
    }

    /// What this role allows in the portal and through its tokens.
    pub const fn privileges(self) -> Privileges {
        match self {
            Role::GlobalAdministrator
            | Role::SecurityAdministrator
            | Role::CloudAppSecurityAdministrator => Privileges::Full,
            Role::ComplianceAdministrator | Role::SecurityOperator => Privileges::Alerts,
            Role::SecurityReader | Role::GlobalReader => Privileges::Read,
        }
    }
}

/// The portal roles among `wids` (template ids, case-insensitive): unknown ids are ignored,
/// each role appears once, strongest first (the order of [`Role::ALL`]).
pub fn roles_from_wids<I>(wids: I) -> Vec<Role>
where
    I: IntoIterator,
    I::Item: AsRef<str>,
{
    // Filtering `Role::ALL` keeps its order without a sort (whose code the SPA would carry).
    let wids: Vec<I::Item> = wids.into_iter().collect();
    Role::ALL
        .into_iter()
        .filter(|r| {
            wids.iter()
                .any(|w| r.wid().eq_ignore_ascii_case(w.as_ref()))
        })
        .collect()
}

/// The name a user is shown by: the `name` claim, else `preferred_username`, else the user id
/// (`oid`). A claim that is missing, empty or only whitespace is skipped; the one chosen is
/// returned as given.
pub fn display_name<'a>(
    name: Option<&'a str>,
    preferred_username: Option<&'a str>,
    user_id: &'a str,
) -> &'a str {
    [name, preferred_username]
        .into_iter()
        .flatten()
        .find(|n| !n.trim().is_empty())
        .unwrap_or(user_id)
}

wire_enum! {
    /// What a user, or a token acting for them, may do. Ordered: `Read < Alerts < Full`.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
    #[cfg_attr(feature = "openapi", derive(ToSchema))]
    #[serde(rename_all = "snake_case")]
    pub enum Privileges {
        /// Read data only.
        Read => "read",
        /// Read, and manage (close) alerts.
        Alerts => "alerts",
        /// Full admin: every token of the tenant.
        Full => "full",
    }
}

impl Privileges {
    /// The strongest privileges granted by any of `roles`; `None` when no role grants access.
    pub fn of(roles: &[Role]) -> Option<Privileges> {
        roles.iter().map(|r| r.privileges()).max()
    }

    /// Label shown in the UI.
    pub const fn label(self) -> &'static str {
        match self {
            Privileges::Read => "Read-only",
            Privileges::Alerts => "Read and manage alerts",
            Privileges::Full => "Full",
        }
    }
}

/// `GET /api/v1/me`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(ToSchema))]
pub struct Me {
    pub tenant_id: String,
    pub user_id: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub full_admin: bool,
    pub privileges: Privileges,
    pub portal_url: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_round_trips_through_its_wid() {
        for role in Role::ALL {
            assert_eq!(Role::from_wid(role.wid()), Some(role));
            assert_eq!(Role::from_wid(&role.wid().to_uppercase()), Some(role));
        }
        assert_eq!(Role::from_wid("00000000-0000-0000-0000-000000000000"), None);
    }

    #[test]
    fn roles_from_wids_keeps_known_roles_once_strongest_first() {
        let wids = [
            Role::GlobalReader.wid().to_string(),
            "00000000-0000-0000-0000-000000000000".to_string(),
            Role::SecurityAdministrator.wid().to_uppercase(),
            Role::GlobalReader.wid().to_string(),
        ];
        assert_eq!(
            roles_from_wids(&wids),
            [Role::SecurityAdministrator, Role::GlobalReader]
        );
        assert_eq!(roles_from_wids(["nope", ""]), []);
        assert_eq!(
            roles_from_wids(Role::ALL.iter().rev().map(|r| r.wid())),
            Role::ALL
        );
    }

    #[test]
    fn display_name_falls_back_from_name_to_username_to_user_id() {
        assert_eq!(
            display_name(Some("Ann Lee"), Some("ann@x"), "oid"),
            "Ann Lee"
        );
        assert_eq!(display_name(None, Some("ann@x"), "oid"), "ann@x");
        assert_eq!(display_name(Some("  "), Some("ann@x"), "oid"), "ann@x");
        assert_eq!(display_name(Some(""), Some(" \t"), "oid"), "oid");
        assert_eq!(display_name(None, None, "oid"), "oid");
        assert_eq!(display_name(Some(" Ann "), None, "oid"), " Ann ");
    }

    #[test]
    fn privileges_are_the_strongest_of_the_roles() {
        assert_eq!(Privileges::of(&[]), None);
        assert_eq!(
            Privileges::of(&[Role::SecurityReader, Role::SecurityOperator]),
            Some(Privileges::Alerts)
        );
        assert_eq!(
            Privileges::of(&[Role::GlobalReader, Role::CloudAppSecurityAdministrator]),
            Some(Privileges::Full)
        );
        assert!(Privileges::Read < Privileges::Alerts && Privileges::Alerts < Privileges::Full);
    }
}
