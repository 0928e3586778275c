//! Every check, in the order they run and are shown.

pub mod backend;
pub mod environment;
pub mod files;
pub mod security;
pub mod services;
pub mod spending;

use std::sync::LazyLock;

use crate::doctor::Check;

pub static ALL: LazyLock<Vec<&'static Check>> = LazyLock::new(|| {
    backend::CHECKS
        .iter()
        .chain(environment::CHECKS)
        .chain(services::CHECKS)
        .chain(files::CHECKS)
        .chain(security::CHECKS)
        .chain(spending::CHECKS)
        .collect()
});
