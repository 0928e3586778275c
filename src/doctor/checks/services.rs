//! Honeycomb, AWS and Rollbar: the keys' shapes offline, and what the services say online.

use std::collections::BTreeMap;

use crate::doctor::checks::environment::{parse_headers, resolve};
use crate::doctor::probes::{Probe, Probes};
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::drift::{self, Plan};
use crate::group::CreateGroupInput;
use crate::honeycomb;
use crate::input::JsonInput;
use crate::rollbar;
use crate::sampling_rule::CreateSamplingRuleInput;
use crate::secret::mask;

const fn check(
    name: &'static str,
    section: Section,
    needs: Needs,
    run: fn(&Workspace, &Probes) -> Outcome,
) -> Check {
    Check {
        name,
        section,
        needs,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check(
        "honeycomb.key-shape",
        Section::Honeycomb,
        Needs::Nothing,
        key_shape,
    ),
    check(
        "honeycomb.whoami",
        Section::Honeycomb,
        Needs::Network,
        whoami,
    ),
    check(
        "honeycomb.environment",
        Section::Honeycomb,
        Needs::Network,
        environment,
    ),
    check(
        "honeycomb.send-permission",
        Section::Honeycomb,
        Needs::Network,
        send_permission,
    ),
    check(
        "honeycomb.dataset-header",
        Section::Honeycomb,
        Needs::Nothing,
        dataset_header,
    ),
    check("aws.credentials", Section::Aws, Needs::Network, credentials),
    check("aws.xray-group", Section::Aws, Needs::Network, xray_group),
    check(
        "aws.sampling-rules",
        Section::Aws,
        Needs::Network,
        sampling_rules,
    ),
    check("aws.log-group", Section::Aws, Needs::Network, log_group),
    check(
        "aws.daemon-region",
        Section::Aws,
        Needs::Nothing,
        daemon_region,
    ),
    check(
        "rollbar.token",
        Section::Rollbar,
        Needs::Nothing,
        rollbar_token,
    ),
    check(
        "rollbar.test-item",
        Section::Rollbar,
        Needs::Network,
        rollbar_item,
    ),
];

fn key_shape(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let Some(key) = w.var("HONEYCOMB_API_KEY") else {
        return Outcome::skipped("no HONEYCOMB_API_KEY (see env.required)");
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

/// What a probe found, or the outcome that says why there is nothing: skipped when it was not
/// asked, an error (with `fix`) when it failed.
fn answer<'a, T>(probe: &'a Probe<T>, fix: &str) -> Result<&'a T, Outcome> {
    match probe {
        Probe::Found(found) => Ok(found),
        Probe::NotRun(why) => Err(Outcome::skipped(why.clone())),
        Probe::Failed(why) => Err(Outcome::error(why.clone(), fix)),
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
        return Outcome::skipped("needs the whoami answer (see honeycomb.whoami)");
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
        return Outcome::skipped("needs the whoami answer (see honeycomb.whoami)");
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
        return Outcome::skipped("the key's shape is wrong (see honeycomb.key-shape)");
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

fn credentials(_: &Workspace, p: &Probes) -> Outcome {
    let (account, arn) = match answer(
        &p.sts,
        "check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or the profile)",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    Outcome::ok(format!("credentials work: account {account} ({arn})"))
}

/// The desired inputs under aws/json/: (file, parsed) for each that holds `key`.
fn inputs<T: serde::de::DeserializeOwned>(
    w: &Workspace,
    key: &str,
) -> Vec<(String, Result<T, String>)> {
    w.aws_json
        .iter()
        .filter(|f| {
            serde_json::from_str::<serde_json::Value>(&f.text).is_ok_and(|v| v.get(key).is_some())
        })
        .map(|f| {
            (
                f.path.clone(),
                JsonInput::inline(&f.path, &f.text)
                    .parse::<T>()
                    .map_err(|e| e.message),
            )
        })
        .collect()
}

fn xray_group(w: &Workspace, p: &Probes) -> Outcome {
    let state = match answer(
        &p.xray,
        "check the AWS credentials and region (see aws.credentials)",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let mut desired: Vec<(String, Result<CreateGroupInput, String>)> = inputs(w, "GroupName");
    if desired.is_empty() {
        let filter = format!(
            "service(\"{}\") {{fault OR error}}",
            w.manifest.workspace.service
        );
        desired.push((
            "cruddur-obs.toml".into(),
            Ok(CreateGroupInput {
                group_name: w.manifest.xray.group.clone(),
                filter_expression: Some(filter),
                ..Default::default()
            }),
        ));
    }
    let mut problems = Vec::new();
    // Tags are not read here: only the group's own settings are compared.
    let no_tags = BTreeMap::new();
    for (file, input) in &desired {
        let mut input = match input {
            Ok(i) => i.clone(),
            Err(e) => {
                return Outcome::error(format!("cannot read the group: {e}"), format!("fix {file}"))
            }
        };
        input.tags.clear();
        let current = state
            .groups
            .iter()
            .find(|g| g.group_name.as_deref() == Some(input.group_name.as_str()));
        match input.plan(current.map(|g| (g, &no_tags))) {
            Plan::Create => problems.push(format!("group {} does not exist", input.group_name)),
            Plan::Update(changes) => problems.push(format!(
                "group {} differs from {file}: {}",
                input.group_name,
                one_line(&changes)
            )),
            Plan::Unchanged => {}
        }
    }
    if problems.is_empty() {
        Outcome::ok(format!(
            "the X-Ray group{} exist{} as written",
            if desired.len() > 1 { "s" } else { "" },
            if desired.len() > 1 { "" } else { "s" }
        ))
    } else {
        let file = desired
            .iter()
            .map(|(f, _)| f.as_str())
            .find(|f| f.ends_with(".json"))
            .unwrap_or("aws/json/xray-group.json");
        Outcome::error(
            problems.join("; "),
            format!("`cruddur-obs xray create-group --cli-input-json file://{file} --update`"),
        )
    }
}

fn one_line(changes: &[drift::Change]) -> String {
    changes
        .iter()
        .map(|c| format!("{} {} -> {}", c.field, c.current, c.desired))
        .collect::<Vec<_>>()
        .join(", ")
}

fn sampling_rules(w: &Workspace, p: &Probes) -> Outcome {
    let state = match answer(
        &p.xray,
        "check the AWS credentials and region (see aws.credentials)",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let desired: Vec<(String, Result<CreateSamplingRuleInput, String>)> = inputs(w, "SamplingRule");
    if desired.is_empty() {
        return Outcome::warn(
            "no sampling rule in aws/json/: every request uses X-Ray's Default rule",
            "`cruddur-obs init` writes aws/json/xray.json",
        );
    }
    let mut problems = Vec::new();
    let mut fix = String::new();
    let no_tags = BTreeMap::new();
    for (file, input) in &desired {
        let mut input = match input {
            Ok(i) => i.clone(),
            Err(e) => {
                return Outcome::error(
                    format!("cannot read the sampling rule: {e}"),
                    format!("fix {file}"),
                )
            }
        };
        input.tags.clear();
        let name = input.sampling_rule.rule_name.clone().unwrap_or_default();
        let current = state.rules.iter().find(|r| r.name() == name);
        let plan = input.plan(current.map(|r| (r, &no_tags)));
        match plan {
            Plan::Create => problems.push(format!("rule {name} does not exist")),
            Plan::Update(changes) => problems.push(format!(
                "rule {name} differs from {file}: {}",
                one_line(&changes)
            )),
            Plan::Unchanged => continue,
        }
        fix = format!(
            "`cruddur-obs xray create-sampling-rule --cli-input-json file://{file} --update`"
        );
    }
    if problems.is_empty() {
        Outcome::ok(format!(
            "{} sampling rule{} as written",
            desired.len(),
            if desired.len() > 1 { "s" } else { "" }
        ))
    } else {
        Outcome::error(problems.join("; "), fix)
    }
}

fn log_group(w: &Workspace, p: &Probes) -> Outcome {
    let found = match answer(
        &p.log_group,
        "check the AWS credentials and region (see aws.credentials)",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let c = &w.manifest.cloudwatch;
    match found {
        Some(_) => Outcome::ok(format!("log group {} exists", c.log_group)),
        None => Outcome::error(
            format!(
                "log group {} does not exist in {}: watchtower cannot send",
                c.log_group, w.manifest.workspace.region
            ),
            format!(
                "`cruddur-obs logs create-log-group --log-group-name {} --retention-in-days {}`",
                c.log_group, c.retention_days
            ),
        ),
    }
}

/// The X-Ray daemon's region in compose (`-n`/`--region` in its command, else its AWS_REGION,
/// resolved as compose does) against the backend's region as compose gives it.
fn daemon_region(w: &Workspace, _: &Probes) -> Outcome {
    use crate::doctor::compose;

    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    let services = w.compose_services();
    let Some((name, daemon)) = services.iter().find(|(n, s)| {
        n.contains("xray")
            || s.get("image")
                .and_then(|i| i.as_str())
                .is_some_and(|i| i.contains("xray-daemon"))
    }) else {
        return Outcome::skipped("no X-Ray daemon in the compose files");
    };
    let command = match daemon.get("command") {
        Some(serde_yaml_ng::Value::String(s)) => s.split_whitespace().map(str::to_string).collect(),
        Some(serde_yaml_ng::Value::Sequence(items)) => items
            .iter()
            .filter_map(|i| i.as_str())
            .flat_map(|i| i.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect(),
        _ => Vec::<String>::new(),
    };
    let flag = command
        .iter()
        .position(|a| a == "-n" || a == "--region")
        .and_then(|i| command.get(i + 1))
        .cloned();
    // The daemon's region, where it comes from, and whether compose refuses it.
    let (region, from, refused) = match flag {
        Some(raw) => {
            let resolved = compose::interpolate(w, &raw);
            let at = w
                .compose
                .iter()
                .rev()
                .find_map(|f| {
                    compose::line_in_service(f, name, &raw).map(|n| format!("{}:{n}", f.path))
                })
                .unwrap_or_else(|| "its command".to_string());
            let from = if resolved.used.is_empty() {
                format!("written in {at}")
            } else {
                format!("{at}, {}", resolved.sources())
            };
            (resolve(w, &raw), from, resolved.error)
        }
        None => match compose::service_var(w, name, "AWS_REGION") {
            Some(entry) => (
                entry.value.clone().unwrap_or_default(),
                entry.origin(),
                entry.error.clone(),
            ),
            None => {
                return Outcome::warn(
                    format!("the {name} service has no region: it guesses one"),
                    "give it AWS_REGION: \"${AWS_DEFAULT_REGION}\", the backend's region",
                )
            }
        },
    };
    if let Some(why) = refused {
        return Outcome::error(
            format!("the {name} service's region ({from}): {why}"),
            "set the variable, or write the region itself",
        );
    }
    // What the daemon must match: the backend's region; without one, the manifest's.
    let backend = compose::Vars::new(w).backend_setting("AWS_DEFAULT_REGION", false);
    let (expected, expected_from) = match backend.value.as_deref().map(str::trim) {
        Some(r) if crate::aws::check_region("", r).is_ok() => (
            r.to_string(),
            format!("the backend's region ({})", backend.from),
        ),
        Some(_) => {
            return Outcome::skipped(
                "the backend's region is not a valid region (see env.aws-region)",
            )
        }
        None if w.has_manifest => (
            w.manifest.workspace.region.clone(),
            "the workspace's region (cruddur-obs.toml)".to_string(),
        ),
        None => {
            return Outcome::skipped(format!(
                "the backend's region is not set ({}; see env.aws-region)",
                backend.from
            ))
        }
    };
    let region = region.trim();
    if region.is_empty() {
        return Outcome::warn(
            format!("the {name} service's region is empty ({from}): it guesses one"),
            "give it AWS_REGION: \"${AWS_DEFAULT_REGION}\", the backend's region",
        );
    }
    if let Err(e) = crate::aws::check_region(&format!("{name}'s region ({from})"), region) {
        return Outcome::error(e.message, e.hint.unwrap_or_default());
    }
    if region != expected {
        return Outcome::error(
            format!(
                "the {name} service sends traces to {region} ({from}), but {expected_from} is {expected}: the group and rule are looked up in one region, the traces land in another"
            ),
            format!("give {name} AWS_REGION: \"${{AWS_DEFAULT_REGION}}\", the backend's variable, so both use one region"),
        );
    }
    if backend.value.is_some() {
        Outcome::ok(format!(
            "the {name} service uses {region} ({from}), as the backend does ({})",
            backend.from
        ))
    } else {
        Outcome::ok(format!(
            "the {name} service uses {region} ({from}), the workspace's region; the backend's region is not set (see env.aws-region)"
        ))
    }
}

fn rollbar_token(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.rollbar.enabled {
        return Outcome::skipped("Rollbar is not wired");
    }
    let Some(token) = w.var("ROLLBAR_ACCESS_TOKEN") else {
        return Outcome::skipped("no ROLLBAR_ACCESS_TOKEN (see env.required)");
    };
    match rollbar::check_token(token) {
        Ok(()) => Outcome::ok(format!("ROLLBAR_ACCESS_TOKEN ({}) has a Rollbar token's shape", mask(token))),
        Err(why) => Outcome::error(
            format!("ROLLBAR_ACCESS_TOKEN ({}) is not a Rollbar token: {why}", mask(token)),
            "copy the post_server_item token again (Rollbar -> Project settings -> Project Access Tokens)",
        ),
    }
}

fn rollbar_item(_: &Workspace, p: &Probes) -> Outcome {
    let uuid = match answer(
        &p.rollbar,
        "check the token with: `cruddur-obs rollbar test`",
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    Outcome::ok(format!("Rollbar took a test item ({uuid})"))
}
