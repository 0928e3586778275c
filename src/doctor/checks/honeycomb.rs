//! Honeycomb: the key's shape offline, and what Honeycomb says of it online.

use crate::doctor::checks::environment::parse_headers;
use crate::doctor::checks::{answer, ENV_REQUIRED};
use crate::doctor::probes::{Probe, Probes};
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::honeycomb;
use crate::secret::mask;

pub const KEY_SHAPE: &str = "honeycomb.key-shape";
pub const WHOAMI: &str = "honeycomb.whoami";
pub const ENVIRONMENT: &str = "honeycomb.environment";
pub const SEND_PERMISSION: &str = "honeycomb.send-permission";
pub const DATASET_HEADER: &str = "honeycomb.dataset-header";

const fn check(name: &'static str, needs: Needs, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Honeycomb,
        needs,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check(KEY_SHAPE, Needs::Nothing, key_shape),
    check(WHOAMI, Needs::Network, whoami),
    check(ENVIRONMENT, Needs::Network, environment),
    check(SEND_PERMISSION, Needs::Network, send_permission),
    check(DATASET_HEADER, Needs::Nothing, dataset_header),
];

fn key_shape(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let Some(key) = w.var("HONEYCOMB_API_KEY") else {
        return Outcome::skipped(format!("no HONEYCOMB_API_KEY (see {ENV_REQUIRED})"));
    };
    match honeycomb::classify(key) {
        Ok(shape) => Outcome::ok(format!("{} is an {}", mask(key), shape.kind.describe())),
        Err(why) => Outcome::error(
            format!(
                "HONEYCOMB_API_KEY ({}) is not a Honeycomb key: {why}",
                mask(key)
            ),
            "copy the key again from Honeycomb: Environment settings -> API Keys",
        ),
    }
}

fn whoami(_: &Workspace, p: &Probes) -> Outcome {
    let auth = match answer(
        &p.honeycomb,
        "check the key with: `cruddur-obs honeycomb whoami`",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    Outcome::ok(format!(
        "Honeycomb knows the key: team {}, {} key",
        auth.team.slug, auth.key_type
    ))
}

fn environment(w: &Workspace, p: &Probes) -> Outcome {
    let Probe::Found(auth) = &p.honeycomb else {
        return Outcome::skipped(format!("needs the whoami answer (see {WHOAMI})"));
    };
    let expected = &w.manifest.honeycomb.environment;
    let matches = auth.environment.slug.eq_ignore_ascii_case(expected)
        || auth.environment.name.eq_ignore_ascii_case(expected);
    if matches {
        return Outcome::ok(format!("the key belongs to environment {expected}"));
    }
    let actual = if auth.is_classic() {
        "Honeycomb Classic".to_string()
    } else {
        format!("environment \"{}\"", auth.environment.slug)
    };
    Outcome::error(
        format!("the key belongs to {actual}, but the data must land in \"{expected}\""),
        format!("set HONEYCOMB_API_KEY to an ingest key of the \"{expected}\" environment (and gp env it)"),
    )
}

fn send_permission(_: &Workspace, p: &Probes) -> Outcome {
    let Probe::Found(auth) = &p.honeycomb else {
        return Outcome::skipped(format!("needs the whoami answer (see {WHOAMI})"));
    };
    if auth.can_send_events() {
        Outcome::ok(format!("the {} key may send events", auth.key_type))
    } else {
        Outcome::error(
            "the key may not send events: Honeycomb drops the spans",
            "use an ingest key, or give this configuration key the \"Send Events\" permission",
        )
    }
}

fn dataset_header(w: &Workspace, _: &Probes) -> Outcome {
    let Some(key) = w
        .var("HONEYCOMB_API_KEY")
        .filter(|_| w.manifest.honeycomb.enabled)
    else {
        return Outcome::skipped("no Honeycomb key to check");
    };
    let Ok(shape) = honeycomb::classify(key) else {
        return Outcome::skipped(format!("the key's shape is wrong (see {KEY_SHAPE})"));
    };
    if !shape.kind.is_classic() {
        return Outcome::ok(
            "an environment key: data is filed under the service name, no dataset header needed",
        );
    }
    let headers = w
        .var("OTEL_EXPORTER_OTLP_HEADERS")
        .map(|h| parse_headers(h).unwrap_or_default())
        .unwrap_or_default();
    if headers.iter().any(|(k, _)| k == "x-honeycomb-dataset") {
        Outcome::ok("a Classic key, with the x-honeycomb-dataset header it needs")
    } else {
        Outcome::error(
            "a Classic key needs the x-honeycomb-dataset header, and OTEL_EXPORTER_OTLP_HEADERS has none",
            format!("export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY,x-honeycomb-dataset={}\"", w.manifest.workspace.service),
        )
    }
}
