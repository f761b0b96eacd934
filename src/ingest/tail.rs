//! When the writer indexes SQLite's history tail (`store::index_tail`).
//! A round starts once the rows stored since the last one began fill
//! index pages (`PER_PROJECT` entries for each project they belong to),
//! or `every` after the first of them: a few busy projects get small
//! rounds often, many projects pushed evenly a large one every `every`.
//! A large round goes a slice of the projects per step, a step after each
//! commit (or at once when idle), so that no commit waits for all of it.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use sea_orm::DatabaseConnection;

use crate::store;

/// New entries per project that make a round worth it: about a page of
/// each index.
const PER_PROJECT: usize = 256;
/// Rows a step of a round goes through, about; and the most steps.
const PER_STEP: usize = 8_192;
const MOST_STEPS: usize = 8;

pub(super) struct Tail {
    /// None: the database indexes as it writes (PostgreSQL).
    every: Option<Duration>,
    /// The first commit since the last round began.
    since: Option<Instant>,
    /// Pushes (a result and a reading each) and projects since then.
    rows: usize,
    projects: HashSet<String>,
    /// Steps of the round going on (0: none).
    steps: usize,
}

impl Tail {
    pub fn new(every: Option<Duration>) -> Self {
        // A round soon after start: a crash may have left a tail behind.
        let since = every.map(|_| Instant::now());
        Self { every, since, rows: 0, projects: HashSet::new(), steps: 0 }
    }

    pub fn committed<'a>(&mut self, projects: impl Iterator<Item = &'a str>, rows: usize) {
        if self.every.is_none() {
            return;
        }
        self.since.get_or_insert_with(Instant::now);
        self.rows += rows;
        for code in projects {
            if !self.projects.contains(code) {
                self.projects.insert(code.to_string());
            }
        }
    }

    /// How long until a step is due; None while there is nothing to index.
    pub fn due_in(&self) -> Option<Duration> {
        let filled = self.since.is_some() && self.rows >= PER_PROJECT * self.projects.len();
        if self.steps > 0 || filled {
            return Some(Duration::ZERO);
        }
        Some(self.every?.saturating_sub(self.since?.elapsed()))
    }

    /// Takes a step if one is due.
    pub async fn step(&mut self, db: &DatabaseConnection) {
        if self.due_in() == Some(Duration::ZERO) {
            self.take_step(db).await;
        }
    }

    /// Indexes what is left, a round at a time, until a step fails.
    pub async fn finish(&mut self, db: &DatabaseConnection) {
        while (self.steps > 0 || self.since.is_some()) && self.take_step(db).await {}
    }

    /// Whether the step succeeded.
    async fn take_step(&mut self, db: &DatabaseConnection) -> bool {
        if self.steps == 0 {
            self.steps = (self.rows / PER_STEP).clamp(1, MOST_STEPS);
            (self.since, self.rows) = (None, 0);
            self.projects.clear();
        }
        let started = Instant::now();
        let over = store::index_tail(db, self.steps as i64).await;
        tracing::debug!(?over, steps = self.steps, elapsed = ?started.elapsed(), "indexed new history");
        match over {
            Ok(over) => {
                if over {
                    self.steps = 0;
                }
                true
            }
            // Reads go through a longer tail meanwhile; nothing is lost.
            Err(e) => {
                tracing::warn!(error = %e, "indexing new history failed; retrying");
                (self.steps, self.since) = (0, Some(Instant::now()));
                false
            }
        }
    }
}
