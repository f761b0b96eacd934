//! `koi import`: streams a backfill file to a running server with a
//! progress bar, then follows the job that recomputes the history.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, bail};
use futures_util::stream;
use serde_json::Value;
use tokio::io::AsyncReadExt;

use crate::config::Settings;

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// The project to import into.
    #[arg(long)]
    project: String,
    /// CSV (`ts,key,value`) or NDJSON (one push per line).
    file: PathBuf,
    /// The server (default: http:// and [server] address). The key, if the
    /// server needs one, is read from the KOI_API_KEY environment variable.
    #[arg(long)]
    url: Option<String>,
    /// ndjson or csv (default: csv for a .csv file, else ndjson).
    #[arg(long)]
    format: Option<String>,
    /// Store the good lines and skip the bad ones instead of refusing all.
    #[arg(long)]
    skip_invalid: bool,
    /// Return once the values are stored, without waiting for the history.
    #[arg(long)]
    no_wait: bool,
}

const CHUNK: usize = 256 * 1024;

pub async fn run(settings: &Settings, args: ImportArgs) -> anyhow::Result<()> {
    let base = args.url.clone().unwrap_or_else(|| format!("http://{}", settings.server.address));
    let format = args.format.clone().unwrap_or_else(|| {
        let csv = args.file.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        (if csv { "csv" } else { "ndjson" }).to_string()
    });
    let file =
        tokio::fs::File::open(&args.file).await.with_context(|| format!("cannot open {}", args.file.display()))?;
    let total = file.metadata().await?.len();
    let body = stream::unfold((file, 0u64, -1i64), move |(mut file, sent, shown)| async move {
        let mut buf = vec![0; CHUNK];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                let sent = sent + n as u64;
                let percent = (sent * 100 / total.max(1)) as i64;
                if percent != shown {
                    bar("uploading", percent, &format!("{:.1} of {:.1} MiB", mib(sent), mib(total)));
                }
                Some((Ok::<_, std::io::Error>(buf), (file, sent, percent)))
            }
            Err(e) => Some((Err(e), (file, sent, shown))),
        }
    });
    let client = reqwest::Client::new();
    let url = format!("{base}/v1/projects/{}/import?format={format}&skip_invalid={}", args.project, args.skip_invalid);
    let mut request = client.post(&url).body(reqwest::Body::wrap_stream(body));
    if let Ok(key) = std::env::var("KOI_API_KEY") {
        request = request.header("x-api-key", key);
    }
    let response = request.send().await.with_context(|| format!("cannot reach {base}"))?;
    eprintln!();
    let status = response.status();
    let answer: Value = response.json().await.context("the server's answer is not JSON")?;
    if !status.is_success() {
        let errors = answer["errors"].as_array().cloned().unwrap_or_default();
        for e in errors {
            eprintln!("  {}: {}", e["field"].as_str().unwrap_or(""), e["message"].as_str().unwrap_or(""));
        }
        bail!("import refused ({status}): {}", answer["detail"].as_str().unwrap_or(""));
    }
    println!(
        "stored {} values in {} pushes; {} bad lines skipped",
        answer["observations"], answer["pushes"], answer["skipped_lines"]
    );
    match answer["job"]["id"].as_i64() {
        Some(job) if !args.no_wait => follow(&client, &base, job).await,
        _ => Ok(()),
    }
}

/// Shows the recompute job's progress until it is done.
async fn follow(client: &reqwest::Client, base: &str, job: i64) -> anyhow::Result<()> {
    loop {
        let mut request = client.get(format!("{base}/v1/jobs/{job}"));
        if let Ok(key) = std::env::var("KOI_API_KEY") {
            request = request.header("x-api-key", key);
        }
        let view: Value = request.send().await?.error_for_status()?.json().await?;
        let percent = (view["progress"].as_f64().unwrap_or(0.0) * 100.0) as i64;
        bar("history", percent, &format!("{} points", view["points"]));
        if view["state"] == "done" {
            eprintln!();
            println!("history recomputed: {} points", view["points"]);
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn bar(what: &str, percent: i64, detail: &str) {
    let filled = (percent.clamp(0, 100) / 5) as usize;
    let mut err = std::io::stderr().lock();
    write!(err, "\r{what:>9} [{}{}] {percent:>3}% {detail}   ", "#".repeat(filled), ".".repeat(20 - filled)).ok();
    err.flush().ok();
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}
