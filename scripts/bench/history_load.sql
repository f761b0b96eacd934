-- A year (@MINUTES@ minutes from @START@ to @END@ µs) of one point a minute for each
-- of the @PROJECTS@ projects whose code starts with h (created one after
-- the other: consecutive ids), straight into the tables (SQLite and
-- PostgreSQL both read this; @FLOAT@ is the float cast, @SERIES@ counts i
-- from 0 to minutes × projects). The value is a function of the minute,
-- so bucket firsts and lasts are computed too. Rows go in as producers
-- write them, minute after minute across the projects, so that a
-- project's history lies spread over the tables as it would in use.
-- SQLite's history index is built afterwards (history_index.sql).
-- Raw points: the whole year.
INSERT INTO results_data (project_id, value, computed_at, revision, coverage, breakdown, point, at)
SELECT h.id + v.i % @PROJECTS@, v.value, v.at, 1, 1.0,
       '[["a",100.0,' || v.value || ',' || v.at || ',null,null,' || v.value || ',"ok",null]]',
       v.at || ',' || v.value || ',1.0,1', v.at
FROM (SELECT i, @START@ + i / @PROJECTS@ * 60000000 AS at, CAST((i / @PROJECTS@ * 7919) % 1000 AS @FLOAT@) / 10 AS value
      FROM @SERIES@) v
CROSS JOIN (SELECT MIN(id) AS id FROM projects WHERE code LIKE 'h%') h;
-- Minute buckets: the last 90 days, as the default retention keeps them.
INSERT INTO rollups (project_id, series, tier, bucket, n, total, low, high, first_at, first_value, last_at, last_value)
SELECT project_id, '', 60000000, at, 1, value, value, value, at, value, at, value
FROM results_data WHERE at >= @END@ - 90 * 86400000000 AND project_id IN (SELECT id FROM projects WHERE code LIKE 'h%');
-- Hour and day buckets: the whole year.
INSERT INTO rollups (project_id, series, tier, bucket, n, total, low, high, first_at, first_value, last_at, last_value)
SELECT project_id, '', 3600000000, at / 3600000000 * 3600000000, COUNT(*), SUM(value), MIN(value), MAX(value),
       MIN(at), 0, MAX(at), 0
FROM results_data WHERE project_id IN (SELECT id FROM projects WHERE code LIKE 'h%')
GROUP BY project_id, at / 3600000000 ORDER BY 4, 1;
INSERT INTO rollups (project_id, series, tier, bucket, n, total, low, high, first_at, first_value, last_at, last_value)
SELECT project_id, '', 86400000000, bucket / 86400000000 * 86400000000, SUM(n), SUM(total), MIN(low), MAX(high),
       MIN(first_at), 0, MAX(last_at), 0
FROM rollups WHERE tier = 3600000000 GROUP BY project_id, bucket / 86400000000 ORDER BY 4, 1;
UPDATE rollups SET
  first_value = CAST((((first_at - @START@) / 60000000) * 7919) % 1000 AS @FLOAT@) / 10,
  last_value = CAST((((last_at - @START@) / 60000000) * 7919) % 1000 AS @FLOAT@) / 10
WHERE tier > 60000000;
-- Rolled up to the end of the loaded year.
INSERT INTO rollup_progress (project_id, built_to)
SELECT id, @END@ FROM projects WHERE code LIKE 'h%';
