//! Reads a backfill line by line: NDJSON (one push per line, as for
//! `POST /v1/data`, `project` optional) or CSV (`ts,key,value`, values of
//! one `ts` making one push). Every bad line is counted; the first ones
//! are reported with their line numbers.

use std::collections::HashMap;

use serde_json::Value;

use super::data::{parse_push, parse_ts};
use crate::domain::{FieldError, parse_value};
use crate::ingest::Push;
use crate::store::{Project, to_micros};

/// Bad lines reported in full; the rest are only counted.
const MAX_REPORTED: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ndjson,
    Csv,
}

pub struct Lines<'a> {
    format: Format,
    project: &'a Project,
    line: usize,
    pub pushes: Vec<Push>,
    /// CSV: the push of each event time (µs), by index in `pushes`.
    by_time: HashMap<i64, usize>,
    pub observations: usize,
    pub bad: usize,
    pub errors: Vec<FieldError>,
}

impl<'a> Lines<'a> {
    pub fn new(format: Format, project: &'a Project) -> Self {
        Self {
            format,
            project,
            line: 0,
            pushes: Vec::new(),
            by_time: HashMap::new(),
            observations: 0,
            bad: 0,
            errors: Vec::new(),
        }
    }

    /// Takes the next line (without its newline).
    pub fn push_line(&mut self, text: &str) {
        self.line += 1;
        let text = text.trim_end_matches('\r');
        if text.trim().is_empty() || (self.line == 1 && self.format == Format::Csv && is_header(text)) {
            return;
        }
        let at = format!("line {}", self.line);
        let parsed = match self.format {
            Format::Ndjson => self.ndjson(text, &at),
            Format::Csv => self.csv(text, &at),
        };
        if let Err(errors) = parsed {
            self.bad += 1;
            let room = MAX_REPORTED.saturating_sub(self.errors.len());
            self.errors.extend(errors.into_iter().take(room));
        }
    }

    fn ndjson(&mut self, text: &str, at: &str) -> Result<(), Vec<FieldError>> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| {
            vec![FieldError::new(
                at,
                format!("not a JSON object: {e}; expected {{\"ts\": \"RFC 3339\", \"values\": {{\"key\": number}}}}"),
            )]
        })?;
        if let Value::Object(o) = &mut value {
            match o.get("project") {
                None => {
                    o.insert("project".into(), Value::String(self.project.code.clone()));
                }
                Some(p) if p.as_str() == Some(self.project.code.as_str()) => {}
                Some(p) => {
                    return Err(vec![FieldError::new(
                        format!("{at}.project"),
                        format!("{p} is not this import's project {:?}; leave it out", self.project.code),
                    )]);
                }
            }
        }
        let push = parse_push(value, at)?;
        self.known(&push.values, at)?;
        self.observations += push.values.len();
        self.pushes.push(push);
        Ok(())
    }

    fn csv(&mut self, text: &str, at: &str) -> Result<(), Vec<FieldError>> {
        let fields: Vec<&str> = text.split(',').map(str::trim).collect();
        let [ts, key, value] = fields[..] else {
            return Err(vec![FieldError::new(
                at,
                format!("{} fields; each line is ts,key,value (e.g. 2026-01-01T00:00:00Z,pm25,12.5)", fields.len()),
            )]);
        };
        let time = parse_ts(ts, &format!("{at}.ts")).map_err(|e| vec![e])?;
        let value = parse_value(&Value::String(value.into()))
            .map_err(|e| vec![FieldError::new(format!("{at}.value"), e.to_string())])?;
        let values = vec![(key.to_string(), value)];
        self.known(&values, at)?;
        self.observations += 1;
        let micros = to_micros(time);
        match self.by_time.get(&micros) {
            Some(&i) => {
                let push = &mut self.pushes[i];
                push.values.retain(|(k, _)| k != key);
                push.values.extend(values);
            }
            None => {
                self.by_time.insert(micros, self.pushes.len());
                let project = self.project.code.clone();
                self.pushes.push(Push { project, observed_at: Some(time), values, at: at.to_string() });
            }
        }
        Ok(())
    }

    fn known(&self, values: &[(String, f64)], at: &str) -> Result<(), Vec<FieldError>> {
        let unknown: Vec<FieldError> = values
            .iter()
            .filter(|(key, _)| !self.project.indicators.iter().any(|i| &i.key == key))
            .map(|(key, _)| {
                FieldError::new(
                    format!("{at}.{key}"),
                    format!("project {:?} has no indicator {key:?}", self.project.code),
                )
            })
            .collect();
        if unknown.is_empty() { Ok(()) } else { Err(unknown) }
    }
}

fn is_header(text: &str) -> bool {
    text.replace(' ', "").eq_ignore_ascii_case("ts,key,value")
}
