use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What indicators without a usable value (status `missing`, `stale` or
/// `no_interval`) do to the index. `zero`: they contribute 0, as the
/// original service did. `renormalize`: their weight is shared among the
/// indicators with status `ok`, each weight `w` becoming
/// `w × total / (sum of the ok weights)` where `total` is the sum of all
/// configured weights; with no `ok` indicator the index is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MissingPolicy {
    #[default]
    Zero,
    Renormalize,
}

impl MissingPolicy {
    /// The stored text, the same as the JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zero => "zero",
            Self::Renormalize => "renormalize",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Zero, Self::Renormalize].into_iter().find(|p| p.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_text_and_json_names_agree() {
        for policy in [MissingPolicy::Zero, MissingPolicy::Renormalize] {
            assert_eq!(serde_json::to_value(policy).unwrap(), policy.as_str());
            assert_eq!(MissingPolicy::parse(policy.as_str()), Some(policy));
        }
        assert_eq!(MissingPolicy::parse("other"), None);
    }
}
