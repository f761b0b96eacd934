-- SQLite: indexes the points history_load.sql stored, as the ingest writer
-- does with new ones (see migration m20261201_000019_history_tail), so the
-- server starts with none left to index. The server that created the
-- projects stored no points, so no round is going on.
INSERT INTO results_indexed (project_id, at, id, point)
SELECT project_id, at, id, point FROM results_data
WHERE id > (SELECT upto FROM history_marks WHERE name = 'results') ORDER BY project_id, at, id;
UPDATE history_marks SET upto = (SELECT COALESCE(MAX(id), 0) FROM results_data), below = 0 WHERE name = 'results';
UPDATE history_marks SET target = upto WHERE name = 'results';
