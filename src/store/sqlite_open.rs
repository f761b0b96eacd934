//! What KOI sets up on every SQLite connection it opens: its function
//! `koi_cells` (see `sqlite_cells`), and plans that do not depend on the
//! values bound to a statement.
//!
//! Without the latter, SQLite marks a statement whose `LIMIT ?` (or a
//! parameter it could probe statistics with) might change its plan, and
//! then compiles it again every time a value is bound: the statement
//! cache saved nothing for any paged read, and a history page spent a
//! tenth of its time (a fifth through a view of two sides) in the parser.
//! KOI's plans come from its indexes, not from the values.

use std::ffi::{c_char, c_int};
use std::sync::OnceLock;

use libsqlite3_sys as ffi;
use sea_orm::DbErr;

use super::sqlite_cells;

/// Sets up every SQLite connection opened from now on, in this process.
pub(super) fn register() -> Result<(), DbErr> {
    static REGISTERED: OnceLock<c_int> = OnceLock::new();
    // SAFETY: `init` has the signature SQLite's entry points have.
    let code = *REGISTERED.get_or_init(|| unsafe { ffi::sqlite3_auto_extension(Some(init)) });
    match code {
        ffi::SQLITE_OK => Ok(()),
        code => Err(DbErr::Custom(format!("SQLite refused KOI's connection set-up (code {code})"))),
    }
}

unsafe extern "C" fn init(
    db: *mut ffi::sqlite3,
    _error: *mut *mut c_char,
    _api: *const ffi::sqlite3_api_routines,
) -> c_int {
    // SAFETY: SQLite calls this with a connection it is opening; the
    // option takes an int and an optional out pointer, here none.
    unsafe {
        let stable =
            ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>());
        if stable != ffi::SQLITE_OK {
            return stable;
        }
        sqlite_cells::add(db)
    }
}
