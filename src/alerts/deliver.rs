//! Sends the outbox: Alertmanager and webhooks, at least once, retried
//! with backoff until the receiver takes the notification.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use reqwest::Method;
use sea_orm::{DatabaseConnection, DbErr};
use sha2::Sha256;
use tokio::sync::{Notify, watch};

use super::notification::Notification;
use super::receivers::Receivers;
use crate::metrics::METRICS;
use crate::pull::{Fetcher, Request};
use crate::store::{self, Delivery};

/// Longest wait between two attempts of one delivery.
const MAX_BACKOFF_SECS: i64 = 60;
/// How often the outbox is looked at without being woken.
const POLL: Duration = Duration::from_millis(500);
/// How long past its timeout an attempt keeps its lease, to record how it
/// went. A process killed while sending delays that notification by the
/// timeout plus this; a database slower than this to record the outcome
/// lets another server send it again (at least once).
const LEASE_MARGIN: TimeDelta = TimeDelta::seconds(10);

pub struct Deliverer {
    pub db: DatabaseConnection,
    pub receivers: Receivers,
    /// Webhooks go through the pull worker's address rules.
    pub fetcher: Fetcher,
    /// Alertmanagers are the operator's own: no address rules.
    pub client: reqwest::Client,
    pub timeout: Duration,
    /// How long Alertmanager keeps a firing alert without hearing again.
    pub valid_for: TimeDelta,
    pub wake: Arc<Notify>,
}

impl Deliverer {
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "alert deliveries: the database did not answer; retrying");
            }
            tokio::select! {
                _ = stop.changed() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
        }
    }

    /// Every receiver at once, each taking its notifications in order
    /// until one fails or none is due.
    async fn round(&self) -> Result<(), DbErr> {
        let alertmanagers = self.receivers.alertmanagers.iter().map(|url| ("alertmanager", url.as_str()));
        let webhooks = self.receivers.webhooks.iter().map(|w| ("webhook", w.name.as_str()));
        let queues = alertmanagers.chain(webhooks).map(|(kind, receiver)| self.drain(kind, receiver));
        futures_util::future::join_all(queues).await.into_iter().collect()
    }

    async fn drain(&self, kind: &str, receiver: &str) -> Result<(), DbErr> {
        loop {
            let now = Utc::now();
            let Some(head) = store::oldest_undelivered(&self.db, kind, receiver).await? else { return Ok(()) };
            let held = head.lease_until > store::to_micros(now);
            if head.next_at > store::to_micros(now) || held {
                return Ok(());
            }
            let lease = now + TimeDelta::from_std(self.timeout).unwrap_or_default() + LEASE_MARGIN;
            if !store::claim_delivery(&self.db, &head, lease).await? {
                return Ok(());
            }
            let outcome = self.send(&head).await;
            METRICS.delivered(receiver, outcome.is_ok());
            if let Err(why) = &outcome {
                let wait = backoff(head.attempts).num_seconds();
                tracing::warn!(receiver, attempt = head.attempts + 1, error = %why, "alert notification not delivered; retrying in {wait} s");
            }
            self.record(&head, &outcome, lease).await?;
            if outcome.is_err() {
                return Ok(());
            }
        }
    }

    /// Stores how an attempt went, asking again while the lease holds: a
    /// database error here would otherwise leave the notification held by
    /// nobody until the lease ran out, late by up to the timeout plus
    /// [`LEASE_MARGIN`] even though its receiver is back.
    async fn record(&self, head: &Delivery, outcome: &Result<(), String>, lease: DateTime<Utc>) -> Result<(), DbErr> {
        loop {
            let now = Utc::now();
            let stored = match outcome {
                Ok(()) => store::mark_delivered(&self.db, head.id, now).await,
                Err(why) => store::mark_failed(&self.db, head.id, why, now + backoff(head.attempts)).await,
            };
            match stored {
                Err(e) if Utc::now() + POLL < lease => {
                    tracing::warn!(error = %e, delivery = head.id, "alert deliveries: could not record an attempt; asking the database again");
                    tokio::time::sleep(POLL).await;
                }
                stored => return stored,
            }
        }
    }

    async fn send(&self, d: &Delivery) -> Result<(), String> {
        let notification: Notification =
            serde_json::from_str(&d.body).map_err(|e| format!("unreadable notification: {e}"))?;
        match d.kind.as_str() {
            "alertmanager" => {
                let body = notification.alertmanager_body(Utc::now(), self.valid_for);
                let url = format!("{}/api/v2/alerts", d.receiver);
                let response = self.client.post(&url).timeout(self.timeout).json(&body).send().await;
                match response.map_err(|e| e.without_url().to_string())? {
                    r if r.status().is_success() => Ok(()),
                    r => Err(format!("Alertmanager answered HTTP {}", r.status().as_u16())),
                }
            }
            "webhook" => {
                let hook = self.receivers.webhooks.iter().find(|w| w.name == d.receiver).ok_or_else(|| {
                    format!("no webhook named {:?} is configured any more ([[alerts.webhooks]])", d.receiver)
                })?;
                let headers = [
                    ("x-koi-signature".to_string(), signature(&hook.secret, &d.body)),
                    ("x-koi-idempotency-key".to_string(), d.idempotency_key.clone()),
                ];
                let request = Request {
                    url: hook.url.clone(),
                    method: Method::POST,
                    headers: headers.into_iter().collect(),
                    body: Some(d.body.clone()),
                    timeout: self.timeout,
                };
                self.fetcher.deliver(&request).await.map_err(|e| e.to_string())
            }
            other => Err(format!("unknown receiver kind {other:?}")),
        }
    }
}

/// The wait after a delivery's attempt number `attempts` + 1 failed.
fn backoff(attempts: i64) -> TimeDelta {
    TimeDelta::seconds(2i64.saturating_pow(attempts.clamp(0, 6) as u32).min(MAX_BACKOFF_SECS))
}

/// `sha256=` and the hex HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body.as_bytes());
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_rfc_4231_test_case_2() {
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(signature("Jefe", "what do ya want for nothing?"), format!("sha256={expected}"));
    }
}
