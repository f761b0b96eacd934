//! Which role each route needs, and which project it touches: the one
//! table to read when asking "who may call this?".

use actix_web::http::Method;
use actix_web::web;

use crate::domain::Role;

/// What a route demands of its caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// Probes, metrics and the API description: monitoring and people
    /// reading the docs need no key.
    Open,
    /// A valid key, with `role` when one is named (unknown routes only need
    /// a valid key, so they answer 404 rather than revealing nothing).
    Key { role: Option<Role>, scope: Scope },
}

/// The project a route touches, for keys limited to some projects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    Project(String),
    /// The projects are in the body; the handler checks them.
    Body,
    /// The route spans projects (lists, sources, keys): unscoped keys only.
    AllProjects,
}

pub fn access(method: &Method, path: &str, query: &str) -> Access {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let read = *method == Method::GET;
    let admin_unless_read = if read { Role::Read } else { Role::Admin };
    let (role, scope) = match segments.as_slice() {
        ["health" | "ready" | "metrics" | "openapi.json" | "docs", ..] => return Access::Open,
        // The dashboard's page and assets hold no data: the browser needs
        // them to show the sign-in that asks for a key.
        [""] | ["ui", ..] if read => return Access::Open,
        // Any valid key may ask what it is allowed to do.
        ["v1", "whoami"] => (None, Scope::Body),
        // Each key sees the cards of its own projects.
        ["v1", "overview"] => (Some(Role::Read), Scope::Body),
        ["v1", "keys" | "remote" | "setup" | "datasetup", ..] => (Some(Role::Admin), Scope::AllProjects),
        ["v1", "data"] => (Some(Role::Ingest), Scope::Body),
        ["v1", "jobs", ..] => (Some(Role::Read), Scope::AllProjects),
        ["v1", "index" | "history", ..] => {
            (Some(Role::Read), item_code(query).map_or(Scope::AllProjects, Scope::Project))
        }
        // Each key sees the alerts of its own projects.
        ["v1", "alerts"] => (Some(Role::Read), Scope::Body),
        ["v1", "projects"] => (Some(admin_unless_read), Scope::AllProjects),
        ["v1", "projects", code, "import"] => (Some(Role::Ingest), Scope::Project((*code).to_string())),
        ["v1", "projects", code, ..] => (Some(admin_unless_read), Scope::Project((*code).to_string())),
        _ => (None, Scope::AllProjects),
    };
    Access::Key { role, scope }
}

/// The project of the original `GET /v1/index?itemcode=` (and of
/// `/v1/index/targets` and `/v1/history`).
fn item_code(query: &str) -> Option<String> {
    let pairs = web::Query::<Vec<(String, String)>>::from_query(query).ok()?.into_inner();
    pairs.into_iter().find(|(k, _)| k == "itemcode" || k == "item_code").map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(method: Method, path: &str, query: &str) -> (Option<Role>, Scope) {
        match access(&method, path, query) {
            Access::Key { role, scope } => (role, scope),
            Access::Open => panic!("{path} is open"),
        }
    }

    #[test]
    fn probes_and_docs_are_open() {
        for path in ["/health", "/ready", "/metrics", "/openapi.json", "/docs", "/docs/index.html", "/", "/ui/app.js"] {
            assert_eq!(access(&Method::GET, path, ""), Access::Open, "{path}");
        }
    }

    #[test]
    fn each_route_group_needs_its_role_and_names_its_project() {
        let air = || Scope::Project("air".into());
        assert_eq!(need(Method::POST, "/v1/keys", ""), (Some(Role::Admin), Scope::AllProjects));
        assert_eq!(need(Method::GET, "/v1/remote/3", ""), (Some(Role::Admin), Scope::AllProjects));
        assert_eq!(need(Method::GET, "/v1/setup", ""), (Some(Role::Admin), Scope::AllProjects));
        assert_eq!(need(Method::POST, "/v1/data", ""), (Some(Role::Ingest), Scope::Body));
        assert_eq!(need(Method::GET, "/v1/index", "itemcode=air"), (Some(Role::Read), air()));
        assert_eq!(need(Method::GET, "/v1/index/targets", "item_code=air"), (Some(Role::Read), air()));
        assert_eq!(need(Method::GET, "/v1/history", "itemcode=air&limit=5"), (Some(Role::Read), air()));
        assert_eq!(need(Method::GET, "/v1/alerts", ""), (Some(Role::Read), Scope::Body));
        assert_eq!(need(Method::POST, "/v1/projects/air/alerts", ""), (Some(Role::Admin), air()));
        assert_eq!(need(Method::GET, "/v1/projects", ""), (Some(Role::Read), Scope::AllProjects));
        assert_eq!(need(Method::POST, "/v1/projects", ""), (Some(Role::Admin), Scope::AllProjects));
        assert_eq!(need(Method::GET, "/v1/projects/air/index", ""), (Some(Role::Read), air()));
        assert_eq!(need(Method::PUT, "/v1/projects/air/indicators/a", ""), (Some(Role::Admin), air()));
        assert_eq!(need(Method::POST, "/v1/projects/air/import", ""), (Some(Role::Ingest), air()));
        assert_eq!(need(Method::POST, "/v1/projects/air/rescore", ""), (Some(Role::Admin), air()));
        assert_eq!(need(Method::GET, "/v1/jobs/3", ""), (Some(Role::Read), Scope::AllProjects));
        assert_eq!(need(Method::GET, "/v2/nothing", ""), (None, Scope::AllProjects));
        assert_eq!(need(Method::GET, "/v1/whoami", ""), (None, Scope::Body));
        assert_eq!(need(Method::GET, "/v1/overview", ""), (Some(Role::Read), Scope::Body));
        assert_eq!(need(Method::GET, "/v1/projects/air/events", ""), (Some(Role::Read), air()));
        assert_eq!(need(Method::POST, "/ui/app.js", ""), (None, Scope::AllProjects));
    }
}
