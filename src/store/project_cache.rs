//! Project configurations for the read endpoints, kept for a moment: a
//! dashboard's reads then cost one query instead of three. Writes never use
//! it (ingest locks and reads the project in its transaction), so a config
//! change shows in reads within `ttl` at most, on every server.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DbErr};

use super::{Project, find_project};

/// More distinct projects than this and the cache starts over.
const MAX_ENTRIES: usize = 10_000;

/// When it was read, and what (`None`: no such project).
type Entry = (Instant, Option<Arc<Project>>);

pub struct ProjectCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl ProjectCache {
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// Forgets everything: called after a configuration change on this
    /// server, so its own reads see the change at once.
    pub fn clear(&self) {
        self.entries.lock().expect("not poisoned").clear();
    }

    /// The project, from the cache when fetched less than `ttl` ago (an
    /// unknown code is remembered too).
    pub async fn get(&self, db: &impl ConnectionTrait, code: &str) -> Result<Option<Arc<Project>>, DbErr> {
        if let Some((at, project)) = self.entries.lock().expect("not poisoned").get(code)
            && at.elapsed() < self.ttl
        {
            return Ok(project.clone());
        }
        let project = find_project(db, code).await?.map(Arc::new);
        let mut entries = self.entries.lock().expect("not poisoned");
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(code.to_string(), (Instant::now(), project.clone()));
        Ok(project)
    }
}
