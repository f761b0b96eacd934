//! Judging a project's rules at one instant and storing the transitions,
//! each with its notifications, in one transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, DbErr, TransactionTrait};
use tokio::sync::broadcast;

use super::announce::AlertChange;
use super::notification::{About, Notification};
use super::receivers::Receivers;
use crate::domain::{Condition, Facts, Phase, next_phase, score};
use crate::store::{self, AlertRule, AlertStateRow, IndexResult, NewDelivery, Project, Transition};

pub struct Evaluator {
    pub db: DatabaseConnection,
    pub receivers: Receivers,
    pub public_url: String,
    pub resend_secs: u64,
    /// Transitions this process stored, for live views.
    pub announce: broadcast::Sender<Arc<AlertChange>>,
}

impl Evaluator {
    /// Judges every rule of project `code` at `now`, on `point` (a point a
    /// push just made) or else on the project's values as they stand.
    /// Returns how many notifications it queued.
    pub async fn evaluate(&self, code: &str, now: DateTime<Utc>, point: Option<&IndexResult>) -> Result<usize, DbErr> {
        // Stored times have microseconds: notifications must not show more.
        let now = store::from_micros(store::to_micros(now));
        let Some(project) = store::find_project(&self.db, code).await? else { return Ok(0) };
        let rules = store::project_rules(&self.db, code, project.id, false).await?;
        if rules.is_empty() {
            return Ok(0);
        }
        let states = store::project_states(&self.db, project.id).await?;
        let (index, coverage, breakdown) = match point {
            Some(p) => (p.value, p.coverage, p.breakdown.clone()),
            None => {
                let latest = store::latest_values(&self.db, project.id).await?;
                let scored = score(&project.indicators, project.missing_policy, &latest, now);
                (scored.value, scored.coverage, scored.breakdown)
            }
        };
        let newest_value = breakdown.iter().filter_map(|c| c.observed_at).max();
        let watches_sources = rules.iter().any(|r| matches!(r.spec.condition, Condition::SourceFailing { .. }));
        let sources = if watches_sources { store::source_failures(&self.db, project.id).await? } else { Vec::new() };
        let mut queued = 0;
        for rule in &rules {
            let facts = Facts {
                now,
                index: newest_value.map(|_| index),
                coverage,
                breakdown: &breakdown,
                // A project that never had a value is quiet since the rule began watching.
                newest_value: newest_value.or(Some(rule.created_at)),
                sources: &sources,
            };
            // A disabled rule holds for nobody: its alerts resolve.
            let hits = if rule.spec.enabled { rule.spec.condition.hits(&facts) } else { Vec::new() };
            let mut subjects: BTreeMap<&str, (bool, Option<f64>)> =
                hits.iter().map(|h| (h.subject.as_str(), (true, h.value))).collect();
            for row in states.iter().filter(|r| r.rule_id == rule.id) {
                subjects.entry(row.subject.as_str()).or_insert((false, None));
            }
            for (subject, (holds, value)) in subjects {
                let row = states.iter().find(|r| r.rule_id == rule.id && r.subject == subject);
                let phase = row.and_then(|r| Phase::parse(&r.state)).unwrap_or(Phase::Inactive);
                let since = row.map_or(now, |r| store::from_micros(r.since));
                let change = Change { project: &project, rule, subject, row, value, at: now };
                queued += match next_phase(phase, since, holds, rule.spec.for_secs, now) {
                    Some(to) => self.transition(&change, to).await?,
                    None if phase == Phase::Firing => self.resend(&change).await?,
                    None => 0,
                };
            }
        }
        Ok(queued)
    }

    /// Stores one transition and its notifications, unless another process
    /// made it first.
    async fn transition(&self, c: &Change<'_>, to: Phase) -> Result<usize, DbErr> {
        let txn = self.db.begin().await?;
        let t = Transition {
            rule_id: c.rule.id,
            rule_name: &c.rule.spec.name,
            project_id: c.project.id,
            subject: c.subject,
            from: c.row,
            to,
            value: c.value,
            at: c.at,
        };
        if !store::apply_transition(&txn, &t).await? {
            txn.rollback().await?;
            return Ok(0);
        }
        let mut queued = 0;
        if to.notifies() {
            let fired_at = c.row.and_then(|r| r.fired_at).map(store::from_micros);
            let about = About {
                rule: c.rule,
                subject: c.subject,
                state: to,
                value: c.value,
                starts_at: if to == Phase::Firing { c.at } else { fired_at.unwrap_or(c.at) },
                ends_at: (to == Phase::Resolved).then_some(c.at),
                occasion: format!("{}-{}", to.as_str(), c.at.timestamp_micros()),
            };
            let notification = Notification::new(about, &self.public_url);
            queued = self.enqueue(&txn, &notification, true).await?;
        }
        txn.commit().await?;
        let change = AlertChange {
            project: c.project.code.clone(),
            rule_id: c.rule.id,
            rule: c.rule.spec.name.clone(),
            severity: c.rule.spec.severity,
            subject: c.subject.to_string(),
            from: c.row.and_then(|r| Phase::parse(&r.state)).unwrap_or(Phase::Inactive),
            to,
            value: c.value,
            at: c.at,
        };
        // No listener is no error: nobody is watching live.
        self.announce.send(Arc::new(change)).ok();
        Ok(queued)
    }

    /// Queues a firing alert for Alertmanager again once `resend_secs` have
    /// passed since it last was, so Alertmanager keeps it active.
    async fn resend(&self, c: &Change<'_>) -> Result<usize, DbErr> {
        let Some(row) = c.row else { return Ok(0) };
        let due = store::to_micros(c.at) - row.sent_at >= (self.resend_secs as i64).saturating_mul(1_000_000);
        if !due || self.receivers.alertmanagers.is_empty() {
            return Ok(0);
        }
        let txn = self.db.begin().await?;
        if !store::claim_resend(&txn, row, c.at).await? {
            txn.rollback().await?;
            return Ok(0);
        }
        let about = About {
            rule: c.rule,
            subject: c.subject,
            state: Phase::Firing,
            value: row.value,
            starts_at: row.fired_at.map_or(c.at, store::from_micros),
            ends_at: None,
            occasion: format!("resend-{}", c.at.timestamp_micros()),
        };
        let queued = self.enqueue(&txn, &Notification::new(about, &self.public_url), false).await?;
        txn.commit().await?;
        Ok(queued)
    }

    /// One delivery per receiver (Alertmanagers only for a resend).
    async fn enqueue(
        &self,
        txn: &impl sea_orm::ConnectionTrait,
        notification: &Notification,
        webhooks_too: bool,
    ) -> Result<usize, DbErr> {
        let body = serde_json::to_string(notification).map_err(|e| DbErr::Custom(e.to_string()))?;
        let webhooks = if webhooks_too { self.receivers.webhooks.as_slice() } else { &[] };
        let targets = self.receivers.alertmanagers.iter().map(|url| ("alertmanager", url.as_str()));
        let targets = targets.chain(webhooks.iter().map(|w| ("webhook", w.name.as_str())));
        let mut queued = 0;
        for (kind, receiver) in targets {
            let key = notification.idempotency_key.clone();
            store::enqueue(txn, NewDelivery { kind, receiver, body: body.clone(), idempotency_key: key }, Utc::now())
                .await?;
            queued += 1;
        }
        Ok(queued)
    }
}

/// One alert being judged.
struct Change<'a> {
    project: &'a Project,
    rule: &'a AlertRule,
    subject: &'a str,
    row: Option<&'a AlertStateRow>,
    value: Option<f64>,
    at: DateTime<Utc>,
}
