#!/usr/bin/env bash
# Runs every test: unit, property and integration tests on SQLite and on
# PostgreSQL (KOI_TEST_PG_URL, default postgres://postgres@127.0.0.1:5432/test).
set -euo pipefail
cd "$(dirname "$0")/.."
pg_url="${KOI_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
# Each test creates its own koi_test_* database; drop those of earlier runs.
psql "$pg_url" -Atqc "SELECT datname FROM pg_database WHERE datname LIKE 'koi\_test\_%'" |
  while read -r db; do
    # One still in use belongs to a run going on now: leave it to that run.
    psql "$pg_url" -qc "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || echo "kept $db: in use"
  done
cargo test --workspace --all-targets "$@"
