//! Load-test companion for `scripts/bench.sh`:
//! - `POST /echo`: returns the JSON body it got, the ceiling a bare
//!   actix-web JSON handler reaches on this machine;
//! - `GET /source/{n}`: a pull source answering `{"value": n}`, recording
//!   when each request arrived so the pull benchmark can measure lateness;
//! - `GET /stats`: per-source pull counts and arrival lateness.
//!
//! Usage: `bench_server 127.0.0.1:PORT`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

#[derive(Default)]
struct Arrivals {
    /// Source number → milliseconds after the start of the second.
    by_source: HashMap<u32, Vec<u64>>,
}

async fn echo(body: web::Json<Value>) -> HttpResponse {
    HttpResponse::Ok().json(body.into_inner())
}

async fn source(n: web::Path<u32>, arrivals: web::Data<Mutex<Arrivals>>) -> HttpResponse {
    let ms = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64 % 1000).unwrap_or(0);
    arrivals.lock().expect("lock").by_source.entry(*n).or_default().push(ms);
    HttpResponse::Ok().json(json!({"value": *n}))
}

async fn stats(arrivals: web::Data<Mutex<Arrivals>>) -> HttpResponse {
    let arrivals = arrivals.lock().expect("lock");
    let counts: Vec<usize> = arrivals.by_source.values().map(Vec::len).collect();
    let mut lateness: Vec<u64> = arrivals.by_source.values().flatten().copied().collect();
    lateness.sort_unstable();
    let pct =
        |p: f64| lateness.get(((lateness.len() as f64 * p) as usize).min(lateness.len().saturating_sub(1))).copied();
    HttpResponse::Ok().json(json!({
        "sources": counts.len(),
        "pulls": lateness.len(),
        "min_per_source": counts.iter().min(),
        "max_per_source": counts.iter().max(),
        "lateness_ms_p50": pct(0.5),
        "lateness_ms_p99": pct(0.99),
        "lateness_ms_max": lateness.last(),
    }))
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:8299".into());
    let arrivals = web::Data::new(Mutex::new(Arrivals::default()));
    HttpServer::new(move || {
        App::new()
            .app_data(arrivals.clone())
            .route("/echo", web::post().to(echo))
            .route("/source/{n}", web::get().to(source))
            .route("/stats", web::get().to(stats))
    })
    .bind(address)?
    .run()
    .await
}
