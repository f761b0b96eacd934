//! Backfill: many pushes of one project in one request, streamed.

use actix_web::{HttpRequest, HttpResponse, post, web};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::import_lines::{Format, Lines};
use super::jobs::view;
use super::problem::{ApiError, Problem};
use super::projects::load;
use crate::domain::FieldError;
use crate::store::JobView;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportParams {
    /// `ndjson` or `csv`; default: from Content-Type (`text/csv` is CSV,
    /// anything else NDJSON).
    pub format: Option<String>,
    /// `true`: store the good lines and skip the bad ones (counted and
    /// reported); default: a bad line refuses the whole import.
    pub skip_invalid: Option<bool>,
}

/// What an import stored.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub project: String,
    /// Values stored.
    pub observations: usize,
    /// Pushes stored (CSV: one per distinct `ts`).
    pub pushes: usize,
    /// Bad lines left out (with `skip_invalid=true`).
    pub skipped_lines: usize,
    /// The first bad lines, by line number.
    pub errors: Vec<FieldError>,
    /// The job recomputing the history from the first imported time.
    pub job: Option<JobView>,
}

/// Import a backfill: NDJSON (one push per line, `{"ts": …, "values": {…}}`)
/// or CSV (`ts,key,value`, an optional header line).
///
/// The values are stored in one transaction, answered once durable; the
/// history from the first imported time on is then recomputed by a
/// background job (`job`, progress at `GET /v1/jobs/{id}`).
#[utoipa::path(
    tag = "data",
    params(("code" = String, Path, description = "Project code"), ImportParams),
    request_body(
        content = String,
        description = "NDJSON or CSV lines; any Content-Type (`text/csv` selects CSV, see `format`)",
        content_type = "text/plain"
    ),
    responses(
        (status = 200, description = "Stored", body = ImportReport),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Larger than [server] max_import_bytes", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad lines (nothing stored), or no values", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/v1/projects/{code}/import")]
pub async fn import(
    state: web::Data<AppState>,
    code: web::Path<String>,
    params: web::Query<ImportParams>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let project = load(&state, &code).await?;
    let format = format_of(params.format.as_deref(), &req)?;
    let max = state.settings.server.max_import_bytes;
    let mut lines = Lines::new(format, &project);
    let (mut buf, mut total) = (Vec::new(), 0usize);
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("the body could not be read: {e}")))?;
        total += chunk.len();
        if total > max {
            return Err(ApiError::TooLarge(format!(
                "the import is larger than {max} bytes ([server] max_import_bytes); split it into several imports"
            )));
        }
        buf.extend_from_slice(&chunk);
        let mut start = 0;
        while let Some(n) = buf[start..].iter().position(|&b| b == b'\n') {
            lines.push_line(&String::from_utf8_lossy(&buf[start..start + n]));
            start += n + 1;
        }
        buf.drain(..start);
    }
    if !buf.is_empty() {
        lines.push_line(&String::from_utf8_lossy(&buf));
    }
    let skip = params.skip_invalid.unwrap_or(false);
    if lines.bad > 0 && !skip {
        let mut errors = vec![FieldError::new(
            "body",
            format!(
                "{} bad lines, nothing was stored; fix them, or pass skip_invalid=true to store the other lines",
                lines.bad
            ),
        )];
        errors.append(&mut lines.errors);
        return Err(ApiError::Invalid(errors));
    }
    if lines.pushes.is_empty() {
        return Err(ApiError::invalid("body", "no values to import; send NDJSON pushes or CSV lines ts,key,value"));
    }
    let (observations, pushes) = (lines.observations, lines.pushes.len());
    let chunk = state.settings.database.recompute_batch as usize;
    let job = state.ingestor.import(&project.code, lines.pushes, chunk).await?;
    let job = match job {
        Some(id) => Some(view(&state, id).await?),
        None => None,
    };
    Ok(HttpResponse::Ok().json(ImportReport {
        project: project.code.clone(),
        observations,
        pushes,
        skipped_lines: lines.bad,
        errors: lines.errors,
        job,
    }))
}

fn format_of(param: Option<&str>, req: &HttpRequest) -> Result<Format, ApiError> {
    match param {
        Some("csv") => Ok(Format::Csv),
        Some("ndjson") => Ok(Format::Ndjson),
        Some(other) => Err(ApiError::invalid("format", format!("must be ndjson or csv, got {other:?}"))),
        None => {
            let csv = req
                .headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/csv"));
            Ok(if csv { Format::Csv } else { Format::Ndjson })
        }
    }
}
