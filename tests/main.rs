//! All integration tests, in one binary: it builds once, and the moto server is shared.

mod support;

mod awscli_fake;
mod backend;
mod browser;
mod cli;
mod doctor;
mod doctor_cases;
mod env;
mod export;
mod frontend;
mod help;
mod init;
mod instrument;
mod keys;
mod logs;
mod logs_tail;
mod mistakes;
mod odd_input;
mod queries;
mod setup;
mod up;
mod validation;
mod verify;
mod verify_rig;
mod xray;
mod xray_traces;
