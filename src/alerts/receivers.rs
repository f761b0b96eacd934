//! Where notifications go, as configured in `[alerts]`.

use crate::config::{AlertSettings, WebhookSettings};

#[derive(Debug, Clone, Default)]
pub struct Receivers {
    /// Base URLs; alerts go to `{url}/api/v2/alerts`.
    pub alertmanagers: Vec<String>,
    pub webhooks: Vec<WebhookSettings>,
}

impl Receivers {
    pub fn new(settings: &AlertSettings) -> Self {
        Self {
            alertmanagers: settings.alertmanager_urls.iter().map(|u| u.trim_end_matches('/').to_string()).collect(),
            webhooks: settings.webhooks.clone(),
        }
    }

    /// Configuration mistakes that would make every delivery fail, each
    /// saying which setting to fix.
    pub fn problems(&self) -> Vec<String> {
        let urls = self.alertmanagers.iter().map(|u| ("[alerts] alertmanager_urls", u.as_str()));
        let hooks = self.webhooks.iter().map(|w| ("[[alerts.webhooks]] url", w.url.as_str()));
        let mut problems: Vec<String> = urls
            .chain(hooks)
            .filter(|(_, url)| reqwest::Url::parse(url).map_or(true, |u| !matches!(u.scheme(), "http" | "https")))
            .map(|(setting, url)| format!("{setting}: {url:?} is not an http(s) URL"))
            .collect();
        for (i, hook) in self.webhooks.iter().enumerate() {
            if hook.name.trim().is_empty() || self.webhooks[..i].iter().any(|w| w.name == hook.name) {
                problems.push(format!("[[alerts.webhooks]] name: {:?} must be non-empty and unique", hook.name));
            }
            if hook.secret.len() < 16 {
                problems.push(format!("[[alerts.webhooks]] {:?}: secret must be at least 16 characters", hook.name));
            }
        }
        problems
    }
}
