//! sea-orm entities, one per table; behaviour lives in the sibling query
//! modules of `store`.

pub mod indicator;
pub mod observation;
pub mod project;
pub mod result;
pub mod source;
