//! Alert gauges for `/metrics`, read from the database so that every
//! server of a cluster reports the same.

use std::collections::BTreeMap;
use std::fmt::Write;

use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::Phase;
use crate::store::{self, AlertFilter};

/// `koi_alerts_firing{project,rule,severity}` and the outbox backlog.
pub async fn render(db: &DatabaseConnection) -> Result<String, DbErr> {
    let firing =
        store::active_alerts(db, &AlertFilter { state: Some(Phase::Firing), ..AlertFilter::default() }).await?;
    let mut counts: BTreeMap<(&str, &str, &str), u64> = BTreeMap::new();
    for alert in &firing {
        *counts.entry((&alert.project, &alert.rule, &alert.severity)).or_default() += 1;
    }
    let mut text = String::from(
        "# HELP koi_alerts_firing Firing alerts by project, rule and severity\n# TYPE koi_alerts_firing gauge\n",
    );
    for ((project, rule, severity), n) in counts {
        writeln!(
            text,
            "koi_alerts_firing{{project=\"{project}\",rule=\"{}\",severity=\"{severity}\"}} {n}",
            escape(rule)
        )
        .ok();
    }
    let pending = store::undelivered(db).await?;
    writeln!(
        text,
        "# HELP koi_alert_deliveries_pending Alert notifications not delivered yet\n\
         # TYPE koi_alert_deliveries_pending gauge\nkoi_alert_deliveries_pending {pending}"
    )
    .ok();
    Ok(text)
}

/// Rule names are free text; the exposition format escapes these three.
fn escape(label: &str) -> String {
    label.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
