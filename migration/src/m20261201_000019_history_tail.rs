use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

/// SQLite: the per-project history indexes are kept up in bulk instead of
/// row by row. With pushes spread over many projects, each stored point
/// and reading landed on its own index page, so every commit wrote about
/// two index pages per push; written every couple of seconds in (project,
/// time) order, a page takes many entries at once.
///
/// Rows live in `results_data` and `observation_sets_data`. The index is a
/// table of its own (`*_indexed`, WITHOUT ROWID, keyed like the index it
/// replaces) that holds every row up to `upto` in `history_marks`; the
/// rows past it (`*_tail`, a rowid range) are what the ingest writer has
/// not indexed yet. The writer indexes them in rounds, a range of projects
/// at a time so that no commit waits for a whole round: a round takes the
/// rows up to `target`, and those of projects below `below` are done.
/// `results` and `observation_sets` are views of both, so reads are
/// unchanged (`results_head` is the indexed side of `results`, for reads
/// that take each side on its own: see `history_index::by_side`); a delete from a data table removes its index entry by
/// trigger. Ids are AUTOINCREMENT, so a new row is never below a mark.
///
/// PostgreSQL keeps its indexes up as it writes (spreading pushes over
/// projects costs it little): there the same names are plain views of
/// the data tables and the tail is empty. Servers of the previous version
/// keep working on PostgreSQL (the views take their inserts and deletes);
/// on SQLite there is only one server.
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }

    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_UP,
            _ => SQLITE_UP,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        manager.get_connection().execute_unprepared(HISTORY_ENDS).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let sql = match manager.get_database_backend() {
            DbBackend::Postgres => POSTGRES_DOWN,
            _ => SQLITE_DOWN,
        };
        manager.get_connection().execute_unprepared(sql).await?;
        Ok(())
    }
}

/// Each project's oldest and newest point: one step of the index per
/// project and end, and one pass over the tail for all of them.
const HISTORY_ENDS: &str = "CREATE VIEW history_ends AS \
    SELECT project_id, MIN(oldest) AS oldest, MAX(newest) AS newest FROM ( \
      SELECT p.id AS project_id, \
        (SELECT i.at FROM results_indexed i WHERE i.project_id = p.id ORDER BY i.at LIMIT 1) AS oldest, \
        (SELECT i.at FROM results_indexed i WHERE i.project_id = p.id ORDER BY i.at DESC LIMIT 1) AS newest \
      FROM projects p \
      UNION ALL \
      SELECT project_id, MIN(at), MAX(at) FROM results_tail GROUP BY project_id \
    ) AS ends GROUP BY project_id";

const SQLITE_UP: &str = "
ALTER TABLE results RENAME TO results_data;
DROP INDEX idx_results_event_time;
CREATE TABLE results_indexed (
  project_id INTEGER NOT NULL, at INTEGER NOT NULL, id INTEGER NOT NULL, point TEXT NOT NULL,
  PRIMARY KEY (project_id, at, id)) WITHOUT ROWID;
INSERT INTO results_indexed SELECT project_id, at, id, point FROM results_data ORDER BY project_id, at, id;
ALTER TABLE observation_sets RENAME TO observation_sets_data;
DROP INDEX idx_observation_sets_history;
CREATE TABLE observation_sets_indexed (
  project_id INTEGER NOT NULL, observed_at INTEGER NOT NULL, id INTEGER NOT NULL,
  PRIMARY KEY (project_id, observed_at, id)) WITHOUT ROWID;
INSERT INTO observation_sets_indexed
  SELECT project_id, observed_at, id FROM observation_sets_data ORDER BY project_id, observed_at, id;
CREATE TABLE history_marks (
  name TEXT NOT NULL PRIMARY KEY, upto INTEGER NOT NULL, target INTEGER NOT NULL, below INTEGER NOT NULL);
INSERT INTO history_marks (name, upto, target, below) VALUES
  ('results', (SELECT COALESCE(MAX(id), 0) FROM results_data), 0, 0),
  ('observation_sets', (SELECT COALESCE(MAX(id), 0) FROM observation_sets_data), 0, 0);
UPDATE history_marks SET target = upto;
CREATE TRIGGER results_unindex AFTER DELETE ON results_data BEGIN
  DELETE FROM results_indexed WHERE project_id = old.project_id AND at = old.at AND id = old.id;
END;
CREATE TRIGGER observation_sets_unindex AFTER DELETE ON observation_sets_data BEGIN
  DELETE FROM observation_sets_indexed
  WHERE project_id = old.project_id AND observed_at = old.observed_at AND id = old.id;
END;
CREATE VIEW results_tail AS
  SELECT * FROM results_data WHERE id > (SELECT upto FROM history_marks WHERE name = 'results')
  AND (id > (SELECT target FROM history_marks WHERE name = 'results')
    OR project_id >= (SELECT below FROM history_marks WHERE name = 'results'));
CREATE VIEW results_head AS
  SELECT i.id AS id, i.project_id AS project_id, d.value AS value, d.computed_at AS computed_at,
    d.revision AS revision, d.coverage AS coverage, d.breakdown AS breakdown, i.point AS point, i.at AS at
  FROM results_indexed i LEFT JOIN results_data d ON d.id = i.id;
CREATE VIEW results AS
  SELECT * FROM results_head
  UNION ALL
  SELECT id, project_id, value, computed_at, revision, coverage, breakdown, point, at FROM results_tail;
CREATE VIEW observation_sets AS
  SELECT i.id AS id, i.project_id AS project_id, i.observed_at AS observed_at, d.received_at AS received_at,
    d.source AS source, d.readings AS readings, d.import_id AS import_id
  FROM observation_sets_indexed i LEFT JOIN observation_sets_data d ON d.id = i.id
  UNION ALL
  SELECT id, project_id, observed_at, received_at, source, readings, import_id FROM observation_sets_data
  WHERE id > (SELECT upto FROM history_marks WHERE name = 'observation_sets')
  AND (id > (SELECT target FROM history_marks WHERE name = 'observation_sets')
    OR project_id >= (SELECT below FROM history_marks WHERE name = 'observation_sets'));
";

const SQLITE_DOWN: &str = "
DROP VIEW history_ends;
DROP VIEW observation_sets;
DROP VIEW results;
DROP VIEW results_head;
DROP VIEW results_tail;
DROP TRIGGER observation_sets_unindex;
DROP TRIGGER results_unindex;
DROP TABLE history_marks;
DROP TABLE observation_sets_indexed;
DROP TABLE results_indexed;
ALTER TABLE observation_sets_data RENAME TO observation_sets;
CREATE INDEX idx_observation_sets_history ON observation_sets (project_id, observed_at, id);
ALTER TABLE results_data RENAME TO results;
CREATE INDEX idx_results_event_time ON results (project_id, at, id, point);
";

const POSTGRES_UP: &str = "
ALTER TABLE results RENAME TO results_data;
ALTER TABLE observation_sets RENAME TO observation_sets_data;
CREATE VIEW results AS SELECT * FROM results_data;
CREATE VIEW observation_sets AS SELECT * FROM observation_sets_data;
CREATE VIEW results_indexed AS SELECT project_id, at, id, point FROM results_data;
CREATE VIEW results_head AS SELECT * FROM results_data;
CREATE VIEW results_tail AS SELECT * FROM results_data WHERE false;
";

const POSTGRES_DOWN: &str = "
DROP VIEW history_ends;
DROP VIEW results_tail;
DROP VIEW results_head;
DROP VIEW results_indexed;
DROP VIEW observation_sets;
DROP VIEW results;
ALTER TABLE observation_sets_data RENAME TO observation_sets;
ALTER TABLE results_data RENAME TO results;
";
