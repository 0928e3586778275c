//! One module per top-level command: its flags and its `run`.

pub mod logs;
pub mod xray;
