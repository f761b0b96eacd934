//! Deployment files tested against the real tools: nginx/koi.conf under
//! nginx, supervisor/koi.conf under supervisord, and scripts/koi.sh. Each test
//! runs the built `koi` binary on a free port with its own SQLite file. The
//! tools come from scripts/deploy-deps.sh; a missing tool fails the test.

mod helpers;

mod nginx;
mod sagoo_ui;
mod script;
mod supervisor;
