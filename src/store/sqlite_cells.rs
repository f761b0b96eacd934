//! `koi_cells(bucket, n, at, value)`: an aggregate function KOI adds to
//! every SQLite connection it opens. It packs its rows into one blob of
//! little-endian (bucket, n, at, value) quadruples, 32 bytes each, in the
//! order it is fed them. A year of hour buckets is 8,760 rows: handed over
//! one by one the driver costs more than the rows themselves, and packed
//! as text SQLite spent a quarter of the request printing floats with 17
//! digits. PostgreSQL prints its shortest exact form cheaply and keeps text.

use std::ffi::{CStr, c_int};

use libsqlite3_sys as ffi;

const NAME: &CStr = c"koi_cells";

/// Bytes per row in the blob.
const WIDTH: usize = 32;

/// The SQL that packs `columns`: (bucket, n, at, value).
pub(super) fn call(columns: [&str; 4]) -> String {
    format!("{}({})", NAME.to_str().expect("an ASCII name"), columns.join(", "))
}

/// Decodes the blob into (bucket, n, at, value) rows.
pub(super) fn rows(blob: &[u8]) -> impl Iterator<Item = (i64, i64, i64, f64)> + '_ {
    blob.chunks_exact(WIDTH).map(|row| {
        let word = |i: usize| <[u8; 8]>::try_from(&row[i * 8..i * 8 + 8]).expect("8 bytes");
        let int = |i| i64::from_le_bytes(word(i));
        (int(0), int(1), int(2), f64::from_le_bytes(word(3)))
    })
}

/// Adds the function to `db`, a connection being opened.
///
/// # Safety
/// `db` is a connection SQLite is opening (see `sqlite_open`).
pub(super) unsafe fn add(db: *mut ffi::sqlite3) -> c_int {
    // SAFETY: the name is NUL-terminated and static; `step` and `finish`
    // have the signatures SQLite calls.
    unsafe {
        ffi::sqlite3_create_function_v2(
            db,
            NAME.as_ptr(),
            4,
            ffi::SQLITE_UTF8 | ffi::SQLITE_DETERMINISTIC | ffi::SQLITE_INNOCUOUS,
            std::ptr::null_mut(),
            None,
            Some(step),
            Some(finish),
            None,
        )
    }
}

/// What SQLite keeps between calls: its zeroed memory is `None`.
type Packed = Option<Box<Vec<u8>>>;

unsafe extern "C" fn step(ctx: *mut ffi::sqlite3_context, argc: c_int, argv: *mut *mut ffi::sqlite3_value) {
    // SAFETY: SQLite hands this aggregate's context, zeroed on first use and
    // sized as asked, and `argc` arguments, 4 as registered.
    unsafe {
        let packed = ffi::sqlite3_aggregate_context(ctx, size_of::<Packed>() as c_int).cast::<Packed>();
        let Some(packed) = packed.as_mut() else { return ffi::sqlite3_result_error_nomem(ctx) };
        let out = packed.get_or_insert_with(|| Box::new(Vec::with_capacity(WIDTH * 1024)));
        let args = std::slice::from_raw_parts(argv, argc as usize);
        for &arg in &args[..3] {
            out.extend_from_slice(&ffi::sqlite3_value_int64(arg).to_le_bytes());
        }
        out.extend_from_slice(&ffi::sqlite3_value_double(args[3]).to_le_bytes());
    }
}

unsafe extern "C" fn finish(ctx: *mut ffi::sqlite3_context) {
    // SAFETY: asking for 0 bytes returns the context `step` filled, or null
    // when no row came; SQLite copies the blob (SQLITE_TRANSIENT) before
    // `packed` is dropped. SQLite calls this once per aggregate, also
    // when a statement stops early, so the vector is always freed.
    unsafe {
        let packed = ffi::sqlite3_aggregate_context(ctx, 0).cast::<Packed>();
        let blob = packed.as_mut().and_then(Option::take).map(|b| *b).unwrap_or_default();
        ffi::sqlite3_result_blob64(ctx, blob.as_ptr().cast(), blob.len() as u64, ffi::SQLITE_TRANSIENT());
    }
}
