//! `/v1/setup`: projects in the original shape. An original target is a
//! native indicator (`name` = key, ranges = intervals with `base_value` as
//! the score); the project itself goes through the native store functions.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::envelope::{Bare, CompatError, Envelope, Enveloped, Renames, invalid, ok};
use super::numbers::Loose;
use crate::api::AppState;
use crate::domain::{FieldError, IndicatorSpec, Interval, MissingPolicy, ProjectSpec, new_code};
use crate::store::{self, Project};

/// Native validation speaks of indicators and intervals; the UI of targets
/// and ranges.
const RENAMES: Renames = Renames {
    fields: &[
        ("code", "item_code"),
        ("description", "explain"),
        ("indicators", "targets"),
        ("key", "name"),
        ("intervals", "ranges"),
        ("score", "base_value"),
        ("start", "start_value"),
        ("end", "end_value"),
    ],
    words: &[
        ("start", "start_value"),
        ("end", "end_value"),
        ("score", "base_value"),
        ("indicators", "targets"),
        ("intervals", "ranges"),
    ],
};

const PAGE: u64 = 1000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// The project's item code (`item_code` is accepted too).
    #[serde(alias = "item_code")]
    pub itemcode: Option<String>,
}

/// A project as the original clients write it. Unknown fields are ignored,
/// as the original server did.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetupBody {
    /// Empty: the server assigns one. Otherwise the project is created or
    /// fully replaced under this code.
    #[serde(default)]
    pub item_code: String,
    #[serde(default)]
    pub title: String,
    /// The project description.
    #[serde(default)]
    pub explain: String,
    /// Accepted but not stored: always answered as "".
    #[serde(default)]
    #[expect(dead_code, reason = "no column holds it; declared so the OpenAPI document shows it")]
    #[schema(value_type = String)]
    pub config: Value,
    #[serde(default)]
    pub targets: Vec<TargetBody>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TargetBody {
    /// The indicator key.
    pub name: String,
    #[serde(default)]
    pub title: String,
    /// Percent; a number or a numeric string.
    #[schema(value_type = f64)]
    pub weight: Loose,
    #[serde(default)]
    pub ranges: Vec<RangeBody>,
}

/// Numbers or numeric strings. `start_value` and `end_value` differ;
/// `start_value > end_value` is a "lower is better" range.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RangeBody {
    #[schema(value_type = f64)]
    pub start_value: Loose,
    #[schema(value_type = f64)]
    pub end_value: Loose,
    /// The interval's score.
    #[schema(value_type = f64)]
    pub base_value: Loose,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SetupView {
    pub item_code: String,
    pub title: String,
    pub explain: String,
    /// Not stored by this server; always "".
    pub config: String,
    pub targets: Vec<TargetView>,
}

/// `data` of `GET /v1/setup`: the project named by `itemcode`, or all of them.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum SetupAnswer {
    One(SetupView),
    All(Vec<SetupView>),
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TargetView {
    pub name: String,
    pub title: String,
    pub weight: f64,
    pub ranges: Vec<RangeView>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RangeView {
    pub start_value: f64,
    pub end_value: f64,
    pub base_value: f64,
}

impl From<Project> for SetupView {
    fn from(p: Project) -> Self {
        let targets = p.indicators.into_iter().map(|i| TargetView {
            name: i.key,
            title: i.title,
            weight: i.weight,
            ranges: i
                .intervals
                .iter()
                .map(|r| RangeView { start_value: r.start, end_value: r.end, base_value: r.score })
                .collect(),
        });
        Self {
            item_code: p.code,
            title: p.title,
            explain: p.description,
            config: String::new(),
            targets: targets.collect(),
        }
    }
}

impl SetupBody {
    /// The native spec, or every number that is not one.
    fn into_spec(self) -> Result<ProjectSpec, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut indicators = Vec::with_capacity(self.targets.len());
        for (i, t) in self.targets.into_iter().enumerate() {
            let at = format!("targets[{i}]");
            let weight = t.weight.number(&format!("{at}.weight"), &mut errors);
            let intervals: Vec<Option<Interval>> = t
                .ranges
                .iter()
                .enumerate()
                .map(|(j, r)| {
                    let field = |name: &str| format!("{at}.ranges[{j}].{name}");
                    let start = r.start_value.number(&field("start_value"), &mut errors);
                    let end = r.end_value.number(&field("end_value"), &mut errors);
                    let score = r.base_value.number(&field("base_value"), &mut errors);
                    Some(Interval { start: start?, end: end?, score: score? })
                })
                .collect();
            indicators.push(IndicatorSpec {
                key: t.name,
                title: t.title,
                unit: String::new(),
                weight: weight.unwrap_or_default(),
                intervals: intervals.into_iter().flatten().collect(),
                max_age_secs: None,
            });
        }
        let code = Some(self.item_code).filter(|c| !c.is_empty());
        if errors.is_empty() {
            // The original has no policy: new projects get its rule.
            let missing_policy = MissingPolicy::Zero;
            Ok(ProjectSpec { code, title: self.title, description: self.explain, indicators, missing_policy })
        } else {
            Err(errors)
        }
    }
}

/// Every project, or the one named by `itemcode`.
#[utoipa::path(
    get,
    path = "/v1/setup",
    tag = "compat",
    params(ItemQuery),
    responses(
        (status = 200, description = "With `itemcode`: one project; without: all of them", body = Envelope<SetupAnswer>),
        (status = 404, description = "No such project", body = Bare),
    )
)]
pub async fn get(
    state: web::Data<AppState>,
    query: Enveloped<web::Query<ItemQuery>>,
) -> Result<HttpResponse, CompatError> {
    if let Some(code) = query.0.itemcode.as_deref() {
        return Ok(ok(SetupAnswer::One(load(&state, code).await?.into())));
    }
    let mut all = Vec::new();
    loop {
        let page = store::list_projects(&state.db, PAGE, all.last().map(|p: &SetupView| p.item_code.as_str())).await?;
        let last = (page.len() as u64) < PAGE;
        all.extend(page.into_iter().map(SetupView::from));
        if last {
            return Ok(ok(SetupAnswer::All(all)));
        }
    }
}

/// Create a project (empty `item_code`: a code is assigned) or fully
/// replace the one with this `item_code`.
///
/// Settings the original shape lacks are kept: the project's
/// `missing_policy`, and `unit` and `max_age_secs` of targets whose name
/// stays.
#[utoipa::path(
    post,
    path = "/v1/setup",
    tag = "compat",
    request_body = SetupBody,
    responses(
        (status = 200, description = "Stored; the project as now configured", body = Envelope<SetupView>),
        (status = 400, description = "Malformed JSON", body = Bare),
        (status = 422, description = "Invalid project; `message` names each field", body = Bare),
    )
)]
pub async fn save(
    state: web::Data<AppState>,
    body: Enveloped<web::Json<SetupBody>>,
) -> Result<HttpResponse, CompatError> {
    let mut spec = body.0.into_inner().into_spec().map_err(invalid)?;
    let mut errors = spec.validate();
    errors.extend(crate::api::projects::too_many_indicators(&state, spec.indicators.len()));
    if !errors.is_empty() {
        return Err(RENAMES.apply(crate::api::ApiError::Invalid(errors)));
    }
    let project = match spec.code.clone() {
        None => {
            spec.code = Some(new_code());
            store::create_project(&state.db, &spec).await.inspect(|_| state.projects.clear())?
        }
        Some(code) => {
            if let Some(stored) = store::find_project(&state.db, &code).await? {
                keep_native_settings(&mut spec, &stored);
            }
            store::replace_project(&state.db, &code, &spec).await.inspect(|_| state.projects.clear())?.0
        }
    };
    Ok(ok(SetupView::from(project)))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeleteBody {
    /// `item_code` is accepted too.
    #[serde(alias = "item_code")]
    pub itemcode: String,
}

/// Delete a project with its history and pull sources.
#[utoipa::path(
    delete,
    path = "/v1/setup",
    tag = "compat",
    request_body = DeleteBody,
    responses((status = 200, description = "Deleted", body = Bare), (status = 404, description = "No such project", body = Bare))
)]
pub async fn remove(
    state: web::Data<AppState>,
    body: Enveloped<web::Json<DeleteBody>>,
) -> Result<HttpResponse, CompatError> {
    let code = &body.0.itemcode;
    let deleted = store::delete_project(&state.db, code).await?;
    state.projects.clear();
    if deleted { Ok(ok(Value::Null)) } else { Err(not_found(code)) }
}

/// The project, or a 404 naming the original route that lists them.
pub async fn load(state: &AppState, code: &str) -> Result<Project, CompatError> {
    store::find_project(&state.db, code).await?.ok_or_else(|| not_found(code))
}

fn not_found(code: &str) -> CompatError {
    crate::api::ApiError::NotFound(format!("no project with item_code {code:?}; list them with GET /v1/setup")).into()
}

fn keep_native_settings(spec: &mut ProjectSpec, stored: &Project) {
    spec.missing_policy = stored.missing_policy;
    for ind in &mut spec.indicators {
        if let Some(old) = stored.indicators.iter().find(|old| old.key == ind.key) {
            ind.unit.clone_from(&old.unit);
            ind.max_age_secs = old.max_age_secs;
        }
    }
}
