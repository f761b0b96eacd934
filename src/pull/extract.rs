use jsonpath_rust::JsonPath;
use jsonpath_rust::parser::parse_json_path;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::parse_value;

/// Where in a pulled document one indicator's value is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    #[schema(example = "cpu")]
    pub indicator: String,
    /// JSONPath (RFC 9535) such as `$.data.cpu`, or a dot path such as
    /// `data.items.0.value`; stored as JSONPath.
    #[schema(example = "$.data.cpu")]
    pub path: String,
}

/// Converts a dot path to JSONPath (`data.items.0.value` →
/// `$.data.items[0].value`) and checks the result parses.
pub fn normalize_path(path: &str) -> Result<String, String> {
    let path = path.trim();
    let normalized = if path.starts_with('$') {
        path.to_string()
    } else if path.is_empty() {
        return Err("is empty; use a JSONPath such as $.data.cpu or a dot path such as data.cpu".into());
    } else {
        path.split('.').try_fold("$".to_string(), |mut out, segment| {
            if segment.is_empty() {
                return Err(format!("{path:?} has an empty segment; write data.cpu, not data..cpu"));
            }
            if segment.bytes().all(|b| b.is_ascii_digit()) {
                out.push_str(&format!("[{segment}]"));
            } else if segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                out.push_str(&format!(".{segment}"));
            } else {
                out.push_str(&format!("['{}']", segment.replace('\\', "\\\\").replace('\'', "\\'")));
            }
            Ok(out)
        })?
    };
    parse_json_path(&normalized).map_err(|e| format!("{normalized:?} is not a valid JSONPath: {e}"))?;
    Ok(normalized)
}

/// The dot path a simple JSONPath came from (`$.data.items[0].value` →
/// `data.items.0.value`), for clients that only know dot paths; None for
/// anything else (filters, wildcards, quoted names).
pub fn dot_path(jsonpath: &str) -> Option<String> {
    let mut rest = jsonpath.strip_prefix('$')?;
    let mut segments = Vec::new();
    while !rest.is_empty() {
        let (segment, tail) = if let Some(after) = rest.strip_prefix('.') {
            after.split_at(after.find(['.', '[']).unwrap_or(after.len()))
        } else {
            let (index, tail) = rest.strip_prefix('[')?.split_once(']')?;
            (index, tail)
        };
        let word = segment.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if segment.is_empty() || !word {
            return None;
        }
        segments.push(segment);
        rest = tail;
    }
    (!segments.is_empty()).then(|| segments.join("."))
}

/// Each mapping's value, or why it has none. One failing mapping does not
/// stop the others.
pub fn extract(doc: &Value, mappings: &[Mapping]) -> (Vec<(String, f64)>, Vec<String>) {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for m in mappings {
        match extract_one(doc, &m.path) {
            Ok(v) => values.push((m.indicator.clone(), v)),
            Err(e) => errors.push(format!("{}: {e}", m.indicator)),
        }
    }
    (values, errors)
}

fn extract_one(doc: &Value, path: &str) -> Result<f64, String> {
    let found = doc.query(path).map_err(|e| format!("path {path} is invalid: {e}"))?;
    match found.as_slice() {
        [] => Err(format!("path {path} matched nothing in the response")),
        [one] => parse_value(one).map_err(|e| format!("path {path} selected {}: {e}", brief(one))),
        many => Err(format!("path {path} matched {} values; it must select exactly one", many.len())),
    }
}

fn brief(v: &Value) -> String {
    let text = v.to_string();
    if text.len() > 60 { format!("{}…", &text[..text.floor_char_boundary(60)]) } else { text }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(indicator: &str, path: &str) -> Mapping {
        Mapping { indicator: indicator.into(), path: normalize_path(path).unwrap() }
    }

    #[test]
    fn simple_jsonpaths_turn_back_into_the_dot_paths_they_came_from() {
        for dots in ["Data.0.TemperatureHigh", "a", "data.items.0.value_1"] {
            assert_eq!(dot_path(&normalize_path(dots).unwrap()).as_deref(), Some(dots));
        }
        for other in ["$", "$.a[*]", "$..a", "$['a b']", "$.a[?@.x > 1]", "data.a"] {
            assert_eq!(dot_path(other), None, "{other}");
        }
    }

    #[test]
    fn dot_paths_become_jsonpath() {
        assert_eq!(normalize_path("data.items.0.value").unwrap(), "$.data.items[0].value");
        assert_eq!(normalize_path("data.cpu-load").unwrap(), "$.data['cpu-load']");
        assert_eq!(normalize_path("$.data.cpu").unwrap(), "$.data.cpu");
        assert!(normalize_path("data..cpu").is_err());
        assert!(normalize_path("$.data[").is_err());
        assert!(normalize_path("").is_err());
    }

    #[test]
    fn numbers_and_numeric_strings_are_extracted() {
        let doc = json!({"data": {"cpu": 0.5, "mem": "42", "items": [{"value": 7}]}});
        let (values, errors) =
            extract(&doc, &[map("cpu", "$.data.cpu"), map("mem", "data.mem"), map("item", "data.items.0.value")]);
        assert_eq!(values, [("cpu".into(), 0.5), ("mem".into(), 42.0), ("item".into(), 7.0)]);
        assert!(errors.is_empty());
    }

    #[test]
    fn missing_non_numeric_and_ambiguous_paths_are_errors_per_mapping() {
        let doc = json!({"data": {"name": "abc", "list": [1, 2]}, "ok": 1});
        let (values, errors) =
            extract(&doc, &[map("a", "data.nope"), map("b", "data.name"), map("c", "$.data.list[*]"), map("d", "ok")]);
        assert_eq!(values, [("d".into(), 1.0)]);
        assert!(errors[0].starts_with("a: path $.data.nope matched nothing"), "{}", errors[0]);
        assert!(errors[1].contains("\"abc\""), "{}", errors[1]);
        assert!(errors[2].contains("matched 2 values"), "{}", errors[2]);
    }
}
