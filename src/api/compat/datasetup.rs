//! `/v1/datasetup`: the original per-indicator data source. It is a native
//! pull source (`/v1/remote`) with a GET of `uri` and one mapping
//! `target` → `object`; a native source with several mappings shows up
//! here under each of its indicators.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::envelope::{Bare, CompatError, Envelope, Enveloped, Renames, invalid, ok};
use super::numbers::Loose;
use super::setup::load;
use crate::api::remote::{TestRequest, create_source, dry_run, replace_source};
use crate::api::{ApiError, AppState};
use crate::domain::FieldError;
use crate::pull::{Mapping, SourceSpec, dot_path, normalize_path};
use crate::store::{self, Source};

const RENAMES: Renames = Renames {
    fields: &[
        ("url", "uri"),
        ("schedule", "get_time"),
        ("project", "item_code"),
        ("mappings", "object"),
        ("mappings[0].path", "object"),
        ("mappings[0].indicator", "target"),
    ],
    words: &[],
};

const ENABLED: f64 = 1.0;
const DISABLED: f64 = 2.0;
const PAGE: u64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TargetQuery {
    pub item_code: String,
    /// The indicator key.
    pub target_name: String,
}

/// The source of one indicator, as the original clients write and read it.
#[derive(Debug, Deserialize, ToSchema)]
pub struct DataSetupBody {
    #[serde(default)]
    pub item_code: String,
    /// The indicator key.
    #[serde(default)]
    pub target: String,
    /// URL answering JSON, fetched with GET.
    #[serde(default)]
    pub uri: String,
    /// Path of the value: `data.cpu` or JSONPath `$.data.cpu`.
    #[serde(default)]
    pub object: String,
    /// Cron with seconds (`0 */5 * * * *`), `@hourly`…, or `@every 30s`.
    #[serde(default)]
    pub get_time: String,
    /// 1 enabled (default), 2 disabled; a number or a numeric string.
    #[serde(default)]
    #[schema(value_type = i32)]
    pub state: Loose,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DataSetupView {
    pub item_code: String,
    pub target: String,
    pub uri: String,
    /// As the original wrote it, a dot path (`Data.0.TemperatureHigh`);
    /// JSONPath where a dot path cannot say it.
    pub object: String,
    pub get_time: String,
    /// 1 enabled, 2 disabled.
    pub state: u8,
}

impl DataSetupView {
    fn of(source: Source, target: &str) -> Self {
        let path = source.spec.mappings.iter().find(|m| m.indicator == target).map(|m| &m.path);
        let object = path.map(|p| dot_path(p).unwrap_or_else(|| p.clone()));
        Self {
            item_code: source.spec.project,
            target: target.to_string(),
            uri: source.spec.url,
            object: object.unwrap_or_default(),
            get_time: source.spec.schedule,
            state: if source.spec.enabled { ENABLED as u8 } else { DISABLED as u8 },
        }
    }
}

impl DataSetupBody {
    fn enabled(&self) -> Result<bool, CompatError> {
        let mut errors = Vec::new();
        match self.state.number_or(ENABLED, "state", &mut errors) {
            Some(ENABLED) => Ok(true),
            Some(DISABLED) => Ok(false),
            Some(other) => Err(invalid(vec![FieldError::new(
                "state",
                format!("must be 1 (enabled) or 2 (disabled), got {other}"),
            )])),
            None => Err(invalid(errors)),
        }
    }
}

/// The source feeding one indicator, or null when it has none.
#[utoipa::path(
    get,
    path = "/v1/datasetup/target",
    tag = "compat",
    params(TargetQuery),
    responses(
        (status = 200, description = "The source, or null", body = Envelope<Option<DataSetupView>>),
        (status = 404, description = "No such project", body = Bare),
    )
)]
pub async fn target(
    state: web::Data<AppState>,
    query: Enveloped<web::Query<TargetQuery>>,
) -> Result<HttpResponse, CompatError> {
    let TargetQuery { item_code, target_name } = query.0.into_inner();
    load(&state, &item_code).await?;
    let source = source_of(&state, &item_code, &target_name).await?;
    Ok(ok(source.map(|s| DataSetupView::of(s, &target_name))))
}

/// Create the source of one indicator (a native pull source with one mapping).
#[utoipa::path(
    post,
    path = "/v1/datasetup",
    tag = "compat",
    request_body = DataSetupBody,
    responses(
        (status = 200, description = "Created", body = Envelope<DataSetupView>),
        (status = 409, description = "The indicator already has a source; change it with PUT", body = Bare),
        (status = 422, description = "Invalid source; `message` names each field", body = Bare),
    )
)]
pub async fn create(
    state: web::Data<AppState>,
    body: Enveloped<web::Json<DataSetupBody>>,
) -> Result<HttpResponse, CompatError> {
    let body = body.0.into_inner();
    let spec = SourceSpec {
        project: body.item_code.clone(),
        name: format!("datasetup {}/{}", body.item_code, body.target),
        url: body.uri.clone(),
        method: "GET".into(),
        headers: Default::default(),
        body: None,
        schedule: body.get_time.clone(),
        timeout_ms: None,
        enabled: body.enabled()?,
        mappings: vec![Mapping { indicator: body.target.clone(), path: body.object.clone() }],
    };
    if source_of(&state, &body.item_code, &body.target).await?.is_some() {
        return Err(ApiError::Conflict(format!(
            "target {:?} of {:?} already has a data source; change it with PUT /v1/datasetup",
            body.target, body.item_code
        ))
        .into());
    }
    let source = create_source(&state, spec).await.map_err(|e| RENAMES.apply(e))?;
    Ok(ok(DataSetupView::of(source, &body.target)))
}

/// Change the source of one indicator: its `uri`, `object`, `get_time` and
/// `state`. Other settings of a native source (headers, its other
/// indicators' paths) are kept.
#[utoipa::path(
    put,
    path = "/v1/datasetup",
    tag = "compat",
    request_body = DataSetupBody,
    responses(
        (status = 200, description = "Updated", body = Envelope<DataSetupView>),
        (status = 404, description = "The indicator has no source; create it with POST", body = Bare),
        (status = 422, description = "Invalid source; `message` names each field", body = Bare),
    )
)]
pub async fn update(
    state: web::Data<AppState>,
    body: Enveloped<web::Json<DataSetupBody>>,
) -> Result<HttpResponse, CompatError> {
    let body = body.0.into_inner();
    let enabled = body.enabled()?;
    let Some(stored) = source_of(&state, &body.item_code, &body.target).await? else {
        return Err(ApiError::NotFound(format!(
            "target {:?} of {:?} has no data source; create it with POST /v1/datasetup",
            body.target, body.item_code
        ))
        .into());
    };
    let mut spec = stored.spec.clone();
    spec.url.clone_from(&body.uri);
    spec.schedule.clone_from(&body.get_time);
    spec.enabled = enabled;
    // Checked here, not by the native validation: there this mapping may sit
    // at any index of a native source and its error would not say `object`.
    let path = normalize_path(&body.object).map_err(|e| invalid(vec![FieldError::new("object", e)]))?;
    for m in spec.mappings.iter_mut().filter(|m| m.indicator == body.target) {
        m.path.clone_from(&path);
    }
    let source = replace_source(&state, &stored, spec).await.map_err(|e| RENAMES.apply(e))?;
    Ok(ok(DataSetupView::of(source, &body.target)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DataTestBody {
    /// URL answering JSON, fetched with GET.
    #[serde(default)]
    pub uri: String,
    /// Path of the value: `data.cpu` or JSONPath `$.data.cpu`.
    #[serde(default)]
    pub object: String,
}

/// Fetch `uri` and return the value at `object`; nothing is stored.
#[utoipa::path(
    post,
    path = "/v1/datasetup/test",
    tag = "compat",
    request_body = DataTestBody,
    responses(
        (status = 200, description = "The extracted value", body = Envelope<f64>),
        (status = 422, description = "Invalid uri or object, or the path selects no single number", body = Bare),
        (status = 502, description = "The source failed", body = Bare),
    )
)]
pub async fn test(
    state: web::Data<AppState>,
    body: Enveloped<web::Json<DataTestBody>>,
) -> Result<HttpResponse, CompatError> {
    let DataTestBody { uri, object } = body.0.into_inner();
    let mapping = Mapping { indicator: "object".into(), path: object };
    let request = TestRequest {
        url: uri,
        method: "GET".into(),
        headers: Default::default(),
        body: None,
        timeout_ms: None,
        mappings: vec![mapping],
    };
    let outcome = dry_run(&state, request).await.map_err(|e| RENAMES.apply(e))?;
    match outcome.values.get("object") {
        Some(value) => Ok(ok(value)),
        None => {
            let why = outcome.errors.join("; ");
            Err(invalid(vec![FieldError::new("object", why.trim_start_matches("object: "))]))
        }
    }
}

/// The first source (by id) of the project with a mapping for `target`.
async fn source_of(state: &AppState, item_code: &str, target: &str) -> Result<Option<Source>, CompatError> {
    let mut after = None;
    loop {
        let page = store::list_sources(&state.db, PAGE, after).await?;
        let found = page
            .iter()
            .position(|s| s.spec.project == item_code && s.spec.mappings.iter().any(|m| m.indicator == target));
        if let Some(at) = found {
            return Ok(page.into_iter().nth(at));
        }
        if (page.len() as u64) < PAGE {
            return Ok(None);
        }
        after = page.last().map(|s| s.id);
    }
}
