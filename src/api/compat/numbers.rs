//! The original clients send numbers either as JSON numbers or as strings
//! ("30", "1"), sometimes both within one body; every numeric field of the
//! façade accepts either.

use serde::Deserialize;
use serde_json::Value;

use crate::domain::{FieldError, parse_value};

/// A number as received. It is kept raw until conversion so that a bad one
/// is reported under its field name (`targets[0].weight`) rather than as a
/// serde line/column that means nothing to an admin.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(transparent)]
pub struct Loose(pub Value);

impl Loose {
    /// The number, or an error on `field` (a missing number is an error).
    pub fn number(&self, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
        if self.is_absent() {
            errors.push(FieldError::new(field, "is required: send a number or a numeric string such as \"30\""));
            return None;
        }
        parse_value(&self.0).map_err(|e| errors.push(FieldError::new(field, e.to_string()))).ok()
    }

    /// Like `number`, but an absent value (null, missing or "") means `default`.
    pub fn number_or(&self, default: f64, field: &str, errors: &mut Vec<FieldError>) -> Option<f64> {
        if self.is_absent() { Some(default) } else { self.number(field, errors) }
    }

    /// The UI sends "" for a field left empty in a form.
    fn is_absent(&self) -> bool {
        match &self.0 {
            Value::Null => true,
            Value::String(s) => s.trim().is_empty(),
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn number(v: Value) -> (Option<f64>, Vec<FieldError>) {
        let mut errors = Vec::new();
        (Loose(v).number("targets[0].weight", &mut errors), errors)
    }

    #[test]
    fn numbers_and_numeric_strings_are_accepted() {
        assert_eq!(number(json!(30)).0, Some(30.0));
        assert_eq!(number(json!("30.5")).0, Some(30.5));
    }

    #[test]
    fn bad_or_missing_numbers_name_their_field() {
        for bad in [json!("abc"), json!(null), json!(""), json!(true)] {
            let (value, errors) = number(bad.clone());
            assert_eq!(value, None, "{bad}");
            assert_eq!(errors[0].field, "targets[0].weight", "{bad}");
        }
    }

    #[test]
    fn absent_values_take_the_default() {
        let mut errors = Vec::new();
        assert_eq!(Loose(json!(null)).number_or(1.0, "state", &mut errors), Some(1.0));
        assert_eq!(Loose(json!("")).number_or(1.0, "state", &mut errors), Some(1.0));
        assert_eq!(Loose(json!("2")).number_or(1.0, "state", &mut errors), Some(2.0));
        assert!(errors.is_empty());
    }
}
