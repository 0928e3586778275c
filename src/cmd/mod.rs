//! One module per top-level command: its flags and its `run`.

pub mod doctor;
pub mod env;
pub mod init;
pub mod keys;
pub mod logs;
pub mod up;
pub mod xray;
