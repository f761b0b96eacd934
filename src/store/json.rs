//! JSON documents kept in TEXT columns.

use sea_orm::DbErr;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub fn to_json(v: &impl Serialize) -> Result<String, DbErr> {
    serde_json::to_string(v).map_err(|e| DbErr::Custom(format!("value not serialisable: {e}")))
}

/// `what` names the column and row in the error: a row that does not read
/// back is a bug or a hand edit, and the message should find it.
pub fn from_json<T: DeserializeOwned>(text: &str, what: impl FnOnce() -> String) -> Result<T, DbErr> {
    serde_json::from_str(text).map_err(|e| DbErr::Custom(format!("{} is unreadable: {e}", what())))
}
