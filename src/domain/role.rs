use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What an API key may do. `admin` may do everything; the other two are
/// deliberately narrow so a leaked producer or dashboard key cannot
/// reconfigure an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Projects, sources, keys and everything below.
    Admin,
    /// `POST /v1/data` only.
    Ingest,
    /// Results, indicators and project reads.
    Read,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Ingest => "ingest",
            Self::Read => "read",
        }
    }

    /// Whether a key with this role may use a route that needs `required`.
    pub fn grants(self, required: Role) -> bool {
        self == Self::Admin || self == required
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "admin" => Ok(Self::Admin),
            "ingest" => Ok(Self::Ingest),
            "read" => Ok(Self::Read),
            other => Err(format!("unknown role {other:?}; use admin, ingest or read")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admin_grants_everything_and_the_others_only_themselves() {
        let all = [Role::Admin, Role::Ingest, Role::Read];
        for required in all {
            assert!(Role::Admin.grants(required));
        }
        assert!(Role::Ingest.grants(Role::Ingest) && !Role::Ingest.grants(Role::Read));
        assert!(Role::Read.grants(Role::Read) && !Role::Read.grants(Role::Admin));
        for role in all {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }
}
