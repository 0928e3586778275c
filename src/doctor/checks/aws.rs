//! AWS: the credentials, and the X-Ray group, sampling rules and log group as the workspace
//! declares them; the X-Ray daemon's region against the backend's.

use std::collections::BTreeMap;

use crate::doctor::checks::environment::resolve;
use crate::doctor::checks::{answer, ENV_AWS_REGION};
use crate::doctor::probes::Probes;
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::drift::{self, Plan};
use crate::provision::{self, Desired};

pub const CREDENTIALS: &str = "aws.credentials";
pub const XRAY_GROUP: &str = "aws.xray-group";
pub const SAMPLING_RULES: &str = "aws.sampling-rules";
pub const LOG_GROUP: &str = "aws.log-group";
pub const DAEMON_REGION: &str = "aws.daemon-region";

const fn check(name: &'static str, needs: Needs, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Aws,
        needs,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check(CREDENTIALS, Needs::Network, credentials),
    check(XRAY_GROUP, Needs::Network, xray_group),
    check(SAMPLING_RULES, Needs::Network, sampling_rules),
    check(LOG_GROUP, Needs::Network, log_group),
    check(DAEMON_REGION, Needs::Nothing, daemon_region),
];

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
/// What the workspace declares in X-Ray, computed as `up` computes it (for a workspace wired by
/// hand, with the bootcamp's names), from the input files that hold `key` (so that a broken
/// group file does not hide the rules, nor the other way round), or the outcome that says why it
/// cannot be read.
fn declared(w: &Workspace, key: &str) -> Result<Desired, Outcome> {
    let files: Vec<(String, String)> = w
        .aws_json
        .iter()
        .filter(|f| {
            serde_json::from_str::<serde_json::Value>(&f.text)
                .map_or(true, |v| v.get(key).is_some())
        })
        .map(|f| (f.path.clone(), f.text.clone()))
        .collect();
    provision::declared(&provision::workspace_name(&w.dir), &w.manifest, &files).map_err(|f| {
        Outcome::error(
            format!("cannot read the X-Ray inputs: {}", f.message),
            f.hint.unwrap_or_else(|| "fix that file".into()),
        )
    })
}

fn xray_group(w: &Workspace, p: &Probes) -> Outcome {
    let state = match answer(
        &p.xray,
        &format!("check the AWS credentials and region (see {CREDENTIALS})"),
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let desired = match declared(w, "GroupName") {
        Ok(d) => d,
        Err(outcome) => return outcome,
    };
    let Some((file, mut input)) = desired.group else {
        return Outcome::skipped("X-Ray is not wired");
    };
    // Without a manifest the group is the default one `init` declares, not a file's.
    let file = if w.has_manifest || file.ends_with(".json") {
        file
    } else {
        "the default".to_string()
    };
    let mut problems = Vec::new();
    // Tags are not read here: only the group's own settings are compared.
    let no_tags = BTreeMap::new();
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
    if problems.is_empty() {
        Outcome::ok("the X-Ray group exists as written")
    } else {
        let file = if file.ends_with(".json") {
            file.as_str()
        } else {
            "aws/json/xray-group.json"
        };
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
        &format!("check the AWS credentials and region (see {CREDENTIALS})"),
    ) {
        Ok(found) => found,
        Err(outcome) => return outcome,
    };
    let desired = match declared(w, "SamplingRule") {
        Ok(d) => d.rules,
        Err(outcome) => return outcome,
    };
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
        let mut input = input.clone();
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
        &format!("check the AWS credentials and region (see {CREDENTIALS})"),
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
            return Outcome::skipped(format!(
                "the backend's region is not a valid region (see {ENV_AWS_REGION})"
            ))
        }
        None if w.has_manifest => (
            w.manifest.workspace.region.clone(),
            "the workspace's region (cruddur-obs.toml)".to_string(),
        ),
        None => {
            return Outcome::skipped(format!(
                "the backend's region is not set ({}; see {ENV_AWS_REGION})",
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
            "the {name} service uses {region} ({from}), the workspace's region; the backend's region is not set (see {ENV_AWS_REGION})"
        ))
    }
}
