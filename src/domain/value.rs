use serde_json::Value;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ValueError {
    #[error("must be a finite number or a numeric string such as \"30.5\", got {0}")]
    NotNumeric(String),
    #[error("must be finite (NaN and infinity are refused)")]
    NotFinite,
    #[error("{0} is out of range: values must lie between -1e100 and 1e100")]
    OutOfRange(f64),
}

/// Largest magnitude accepted: far beyond any metric, and small enough that
/// weighted sums over any project stay finite.
const MAX_MAGNITUDE: f64 = 1e100;

/// A metric value as producers send it: a JSON number or a numeric string.
pub fn parse_value(v: &Value) -> Result<f64, ValueError> {
    let n = match v {
        Value::Number(n) => n.as_f64().ok_or(ValueError::NotFinite)?,
        Value::String(s) => s.trim().parse::<f64>().map_err(|_| ValueError::NotNumeric(format!("the string {s:?}")))?,
        other => return Err(ValueError::NotNumeric(kind(other).to_string())),
    };
    if !n.is_finite() {
        Err(ValueError::NotFinite)
    } else if n.abs() > MAX_MAGNITUDE {
        Err(ValueError::OutOfRange(n))
    } else {
        Ok(n)
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_numeric_strings_are_values() {
        assert_eq!(parse_value(&json!(30)), Ok(30.0));
        assert_eq!(parse_value(&json!("30.5")), Ok(30.5));
        assert_eq!(parse_value(&json!(" -2e3 ")), Ok(-2000.0));
    }

    #[test]
    fn non_numbers_and_non_finite_strings_are_refused() {
        for bad in [json!("abc"), json!(null), json!(true), json!([1]), json!({})] {
            assert!(matches!(parse_value(&bad), Err(ValueError::NotNumeric(_))), "{bad}");
        }
        for bad in ["NaN", "inf", "-infinity"] {
            assert_eq!(parse_value(&json!(bad)), Err(ValueError::NotFinite), "{bad}");
        }
        assert_eq!(parse_value(&json!(1e300)), Err(ValueError::OutOfRange(1e300)));
        assert_eq!(parse_value(&json!(-1e100)), Ok(-1e100));
    }
}
