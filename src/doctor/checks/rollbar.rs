//! Rollbar: the token's shape offline, and, with --send-test-item, whether Rollbar takes an item.

use crate::doctor::checks::{answer, ENV_REQUIRED};
use crate::doctor::probes::Probes;
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::rollbar;
use crate::secret::mask;

pub const TOKEN: &str = "rollbar.token";
pub const TEST_ITEM: &str = "rollbar.test-item";

const fn check(name: &'static str, needs: Needs, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Rollbar,
        needs,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check(TOKEN, Needs::Nothing, token),
    check(TEST_ITEM, Needs::Network, test_item),
];

fn token(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.rollbar.enabled {
        return Outcome::skipped("Rollbar is not wired");
    }
    let Some(token) = w.var("ROLLBAR_ACCESS_TOKEN") else {
        return Outcome::skipped(format!("no ROLLBAR_ACCESS_TOKEN (see {ENV_REQUIRED})"));
    };
    match rollbar::check_token(token) {
        Ok(()) => Outcome::ok(format!("ROLLBAR_ACCESS_TOKEN ({}) has a Rollbar token's shape", mask(token))),
        Err(why) => Outcome::error(
            format!("ROLLBAR_ACCESS_TOKEN ({}) is not a Rollbar token: {why}", mask(token)),
            "copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)",
        ),
    }
}

fn test_item(_: &Workspace, p: &Probes) -> Outcome {
    let uuid = match answer(
        &p.rollbar,
        "check the token with: `cruddur-obs rollbar test`",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    Outcome::ok(format!("Rollbar took a test item ({uuid})"))
}
