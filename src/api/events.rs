//! `GET /v1/projects/{code}/events`: new points and alert transitions of
//! one project as Server-Sent Events, for dashboards that update without
//! polling.
//!
//! The stream carries what this process computed (the ingestor's and the
//! alert engine's announcements). With several servers on one database, a point computed
//! on another server is not announced here: clients should also refetch
//! now and then (the built-in dashboard refetches when the stream drops
//! and every minute while it is open).

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{HttpResponse, get, web};
use futures_util::stream;
use tokio::sync::broadcast::{self, error::RecvError};
use utoipa::ToSchema;

use super::AppState;
use super::problem::{ApiError, Problem};
use super::projects::load_for_read;
use crate::alerts::AlertChange;
use crate::ingest::Computed;

/// A comment line this often keeps proxies from closing an idle stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Stream of the project's new points and alert transitions.
///
/// Events: `point` (data: the new point with its breakdown, as
/// `GET …/index` returns it), once per point a push made; `alert` (data:
/// `{project, rule_id, rule, severity, subject, from, to, value, at}`), when
/// one of the project's alerts changes state; `changed` (data:
/// `{}`), when the history changed otherwise (an import, a rescore, a value
/// turning stale, or events this stream missed): refetch what you show.
/// Comment lines keep the connection alive. Only points computed by this
/// server are announced: behind a load balancer over several servers,
/// also refetch now and then.
#[utoipa::path(
    tag = "index",
    params(("code" = String, Path, description = "Project code")),
    responses(
        (status = 200, description = "An endless `text/event-stream`", content_type = "text/event-stream", body = StreamEvent),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/v1/projects/{code}/events")]
pub async fn events(state: web::Data<AppState>, code: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let project = load_for_read(&state, &code).await?;
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    keep_alive.reset();
    let listen = Listen {
        news: state.ingestor.computed(),
        alerts: state.alerting.changes(),
        code: project.code.clone(),
        keep_alive,
    };
    let opening = stream::once(async { Ok::<_, actix_web::Error>(Bytes::from_static(b"retry: 3000\n\n")) });
    let frames = stream::unfold(listen, |mut listen| async move {
        let frame = listen.next().await?;
        Some((Ok(frame), listen))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("cache-control", "no-cache"))
        // nginx would otherwise buffer the stream and deliver it late.
        .insert_header(("x-accel-buffering", "no"))
        .streaming(futures_util::StreamExt::chain(opening, frames)))
}

struct Listen {
    news: broadcast::Receiver<Arc<Computed>>,
    alerts: broadcast::Receiver<Arc<AlertChange>>,
    code: String,
    keep_alive: tokio::time::Interval,
}

impl Listen {
    /// The next frame for this project; `None` when the server stops.
    async fn next(&mut self) -> Option<Bytes> {
        loop {
            tokio::select! {
                _ = self.keep_alive.tick() => return Some(Bytes::from_static(b": keep-alive\n\n")),
                news = self.news.recv() => match news {
                    Ok(computed) if computed.project == self.code => return Some(frames(&computed)),
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return Some(Bytes::from_static(CHANGED)),
                    Err(RecvError::Closed) => return None,
                },
                change = self.alerts.recv() => match change {
                    Ok(change) if change.project == self.code => return Some(frame("alert", &*change)),
                    Ok(_) => {}
                    // Missed transitions show in the alerts the page refetches.
                    Err(RecvError::Lagged(_)) => return Some(Bytes::from_static(CHANGED)),
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

const CHANGED: &[u8] = b"event: changed\ndata: {}\n\n";

fn frames(computed: &Computed) -> Bytes {
    if computed.points.is_empty() {
        return Bytes::from_static(CHANGED);
    }
    computed.points.iter().map(|point| frame("point", point)).collect::<Vec<_>>().concat().into()
}

/// One event of the stream, as an `EventSource` hands it over.
#[derive(ToSchema)]
pub struct StreamEvent {
    /// `point`, `alert` or `changed`.
    event: &'static str,
    /// The event's JSON.
    data: String,
}

impl StreamEvent {
    fn to_bytes(&self) -> Bytes {
        Bytes::from(format!("event: {}\ndata: {}\n\n", self.event, self.data))
    }
}

fn frame(event: &'static str, data: &impl serde::Serialize) -> Bytes {
    StreamEvent { event, data: serde_json::to_string(data).expect("an event serialises") }.to_bytes()
}
