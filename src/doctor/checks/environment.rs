//! The variables: set, spelled right, consistent with each other and with the workspace.

use crate::aws::check_region;
use crate::doctor::probes::Probes;
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::honeycomb::{self, Region};
use crate::secret::mask;

const fn check(name: &'static str, run: fn(&Workspace, &Probes) -> Outcome) -> Check {
    Check {
        name,
        section: Section::Environment,
        needs: Needs::Nothing,
        run,
    }
}

pub const CHECKS: &[Check] = &[
    check("env.required", required),
    check("env.misspelled", misspelled),
    check("env.service-name", service_name),
    check("env.otlp-headers", otlp_headers),
    check("env.otlp-endpoint", otlp_endpoint),
    check("env.aws-region", aws_region),
    check("env.xray-daemon-address", daemon_address),
    check("env.gitpod-variables", gitpod_variables),
];

/// Every variable name the setup uses, for spotting misspellings.
pub const KNOWN: &[&str] = &[
    "HONEYCOMB_API_KEY",
    "HONEYCOMB_API_ENDPOINT",
    "HONEYCOMB_SERVICE_NAME",
    "OTEL_SERVICE_NAME",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_DEFAULT_REGION",
    "AWS_REGION",
    "AWS_PROFILE",
    "AWS_XRAY_DAEMON_ADDRESS",
    "AWS_XRAY_URL",
    "AWS_XRAY_SDK_ENABLED",
    "ROLLBAR_ACCESS_TOKEN",
    "ROLLBAR_ENDPOINT",
    "FRONTEND_URL",
    "BACKEND_URL",
    "REACT_APP_BACKEND_URL",
    "REACT_APP_OTEL_COLLECTOR_URL",
];

/// The secret variables of the parts the workspace wires.
pub fn secrets(w: &Workspace) -> Vec<&'static str> {
    let m = &w.manifest;
    let mut names = Vec::new();
    if m.honeycomb.enabled {
        names.push("HONEYCOMB_API_KEY");
    }
    if m.xray.enabled || m.cloudwatch.enabled {
        names.extend(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    }
    if m.rollbar.enabled {
        names.push("ROLLBAR_ACCESS_TOKEN");
    }
    names
}

/// `${NAME}` references without a default in the compose files: what compose needs from the shell.
fn compose_references(w: &Workspace) -> Vec<String> {
    let re = regex_lite::Regex::new(r"\$\{([A-Z_][A-Z0-9_]*)\}").expect("valid pattern");
    let mut names: Vec<String> = w
        .compose
        .iter()
        .flat_map(|f| {
            f.lines()
                .filter(|(_, l)| !l.trim_start().starts_with('#'))
                .map(|(_, l)| l.to_string())
                .collect::<Vec<_>>()
        })
        .flat_map(|line| {
            re.captures_iter(&line)
                .map(|c| c[1].to_string())
                .collect::<Vec<_>>()
        })
        .filter(|n| {
            !n.starts_with("GITPOD_") && !n.starts_with("CODESPACE") && !n.starts_with("GITHUB_")
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

fn required(w: &Workspace, _: &Probes) -> Outcome {
    let mut needed: Vec<String> = secrets(w).into_iter().map(String::from).collect();
    if w.manifest.xray.enabled || w.manifest.cloudwatch.enabled {
        needed.push("AWS_DEFAULT_REGION".into());
    }
    needed.extend(compose_references(w));
    needed.sort();
    needed.dedup();
    let missing: Vec<&String> = needed.iter().filter(|n| w.var(n).is_none()).collect();
    if missing.is_empty() {
        return Outcome::ok(format!(
            "all {} variables the workspace needs are set",
            needed.len()
        ));
    }
    let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
    Outcome::error(
        format!("not set or empty: {}", list.join(", ")),
        format!(
            "cruddur-obs env {} shows the lines to set them",
            w.manifest.workspace.host.name()
        ),
    )
}

fn misspelled(w: &Workspace, _: &Probes) -> Outcome {
    let mut names: Vec<String> = w.env.keys().cloned().collect();
    for f in &w.compose {
        let Ok(yaml) = f.yaml() else { continue };
        for service in yaml
            .get("services")
            .and_then(|s| s.as_mapping())
            .into_iter()
            .flat_map(|m| m.values())
        {
            if let Some(env) = service.get("environment").and_then(|e| e.as_mapping()) {
                names.extend(env.keys().filter_map(|k| k.as_str().map(str::to_string)));
            }
        }
    }
    let mut found: Vec<String> = names
        .iter()
        .filter(|n| n.len() >= 8 && !KNOWN.contains(&n.as_str()))
        .filter_map(|n| {
            KNOWN
                .iter()
                .find(|k| {
                    strsim::levenshtein(n, k) <= 2
                        && n.starts_with("REACT_APP_") == k.starts_with("REACT_APP_")
                })
                .map(|k| format!("{n} (meant {k}?)"))
        })
        .collect();
    found.sort();
    found.dedup();
    if found.is_empty() {
        Outcome::ok("no misspelled variable names")
    } else {
        Outcome::error(
            format!("misspelled: {}", found.join(", ")),
            "rename each to the right name in the shell, gp env and docker-compose.yml; the misspelled one is read by nothing",
        )
    }
}

/// What compose sets a backend variable to, with `${VAR}` and `${VAR:-default}` resolved from the shell.
fn compose_value(w: &Workspace, name: &str) -> Option<(String, String)> {
    let service = &w.manifest.workspace.service;
    let raw = w.service_env(service).get(name).cloned()?;
    Some((raw.clone(), resolve(w, &raw)))
}

/// `raw` with `${VAR}` and `${VAR:-default}` replaced as compose would.
pub fn resolve(w: &Workspace, raw: &str) -> String {
    let re = regex_lite::Regex::new(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}")
        .expect("valid pattern");
    re.replace_all(raw, |c: &regex_lite::Captures| {
        w.var(&c[1])
            .map(str::to_string)
            .unwrap_or_else(|| c.get(2).map(|d| d.as_str().to_string()).unwrap_or_default())
    })
    .into_owned()
}

fn service_name(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    if let Some((raw, value)) = compose_value(w, "OTEL_SERVICE_NAME") {
        if value.trim().is_empty() {
            return Outcome::error(
                format!("docker-compose.yml sets OTEL_SERVICE_NAME to {raw}, which is empty here: spans land under unknown_service"),
                format!("write the name itself in docker-compose.yml: OTEL_SERVICE_NAME: \"{}\"", w.manifest.workspace.service),
            );
        }
        return Outcome::ok(format!("the backend's service name is {value}"));
    }
    match w.env.get("OTEL_SERVICE_NAME") {
        Some(v) if v.trim().is_empty() => Outcome::error(
            "OTEL_SERVICE_NAME is set but empty: spans land under unknown_service",
            format!("export OTEL_SERVICE_NAME={}", w.manifest.workspace.service),
        ),
        Some(v) => Outcome::ok(format!("the service name is {v}")),
        None => Outcome::warn(
            "OTEL_SERVICE_NAME is not set here or in docker-compose.yml: spans land under unknown_service",
            format!("export OTEL_SERVICE_NAME={}", w.manifest.workspace.service),
        ),
    }
}

/// The headers the backend sends: the shell's, else compose's (resolved).
fn headers_value(w: &Workspace) -> Option<(String, String)> {
    if let Some(v) = w.var("OTEL_EXPORTER_OTLP_HEADERS") {
        return Some(("OTEL_EXPORTER_OTLP_HEADERS".into(), v.to_string()));
    }
    compose_value(w, "OTEL_EXPORTER_OTLP_HEADERS")
        .map(|(_, v)| ("docker-compose.yml's OTEL_EXPORTER_OTLP_HEADERS".into(), v))
}

/// Header pairs (lowercase names), or the first malformed part.
pub fn parse_headers(value: &str) -> Result<Vec<(String, String)>, String> {
    value
        .split(',')
        .filter(|p| !p.trim().is_empty())
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                Ok((k.trim().to_lowercase(), v.trim().to_string()))
            }
            _ => Err(pair.trim().to_string()),
        })
        .collect()
}

fn otlp_headers(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    if w.var("HONEYCOMB_API_KEY").is_none() && w.var("OTEL_EXPORTER_OTLP_HEADERS").is_none() {
        return Outcome::skipped("no HONEYCOMB_API_KEY to send (see env.required)");
    }
    let Some((source, value)) = headers_value(w) else {
        return Outcome::error(
            "OTEL_EXPORTER_OTLP_HEADERS is not set: Honeycomb rejects spans without the key",
            "export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"",
        );
    };
    let pairs = match parse_headers(&value) {
        Ok(p) => p,
        Err(part) => {
            return Outcome::error(
                format!(
                "{source} is malformed at \"{}\": expected name=value pairs separated by commas",
                mask(&part)
            ),
                "export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"",
            )
        }
    };
    let Some((_, team)) = pairs.iter().find(|(k, _)| k == "x-honeycomb-team") else {
        return Outcome::error(
            format!("{source} has no x-honeycomb-team header"),
            "export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"",
        );
    };
    match w.var("HONEYCOMB_API_KEY") {
        Some(key) if key != team => Outcome::error(
            format!("{source} carries key {}, but HONEYCOMB_API_KEY is {}", mask(team), mask(key)),
            "build the header from the variable: OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"",
        ),
        _ => Outcome::ok(format!("{source} carries the key ({})", mask(team))),
    }
}

fn otlp_endpoint(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let endpoint = w
        .var("OTEL_EXPORTER_OTLP_ENDPOINT")
        .map(str::to_string)
        .or_else(|| compose_value(w, "OTEL_EXPORTER_OTLP_ENDPOINT").map(|(_, v)| v))
        .filter(|v| !v.is_empty());
    let Some(endpoint) = endpoint else {
        return Outcome::error(
            "OTEL_EXPORTER_OTLP_ENDPOINT is not set: the backend sends no spans",
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io",
        );
    };
    if endpoint.trim_end_matches('/').ends_with("/v1/traces") {
        return Outcome::error(
            format!("OTEL_EXPORTER_OTLP_ENDPOINT is {endpoint}: exporters add /v1/traces themselves, so spans go to .../v1/traces/v1/traces"),
            "drop /v1/traces from it (or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT instead)",
        );
    }
    let region = w
        .var("HONEYCOMB_API_KEY")
        .and_then(|k| honeycomb::classify(k).ok())
        .map(|s| s.region);
    let eu = endpoint.contains("api.eu1.honeycomb.io");
    let us = endpoint.contains("api.honeycomb.io");
    match region {
        Some(Region::Eu) if us => Outcome::error(
            format!("the key is an EU key, but spans go to {endpoint}"),
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.eu1.honeycomb.io",
        ),
        Some(Region::Us) if eu => Outcome::error(
            format!("the key is a US key, but spans go to {endpoint}"),
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io",
        ),
        _ if us || eu => Outcome::ok(format!("spans go to {endpoint}, the key's region")),
        _ => Outcome::ok(format!(
            "spans go to {endpoint} (not Honeycomb itself: a collector or a test receiver)"
        )),
    }
}

fn aws_region(w: &Workspace, _: &Probes) -> Outcome {
    let m = &w.manifest;
    if !(m.xray.enabled || m.cloudwatch.enabled) {
        return Outcome::skipped("neither X-Ray nor CloudWatch Logs is wired");
    }
    let Some(region) = w.var("AWS_DEFAULT_REGION") else {
        let note = match w.var("AWS_REGION") {
            Some(r) => format!(" (AWS_REGION is {r}, which older boto3 ignores)"),
            None => String::new(),
        };
        return Outcome::error(
            format!("AWS_DEFAULT_REGION is not set{note}: boto3, and so watchtower, fails with NoRegionError"),
            format!("export AWS_DEFAULT_REGION={} (and gp env it)", m.workspace.region),
        );
    };
    if let Err(e) = check_region("AWS_DEFAULT_REGION", region) {
        return Outcome::error(e.message, e.hint.unwrap_or_default());
    }
    if let Some(other) = w.var("AWS_REGION").filter(|r| *r != region) {
        return Outcome::error(
            format!("AWS_DEFAULT_REGION is {region} but AWS_REGION is {other}: some tools use one, some the other"),
            format!("set both to {}", m.workspace.region),
        );
    }
    if w.has_manifest && region != m.workspace.region {
        return Outcome::error(
            format!(
                "AWS_DEFAULT_REGION is {region}, but the workspace's resources are in {}",
                m.workspace.region
            ),
            format!(
                "export AWS_DEFAULT_REGION={0} AWS_REGION={0}",
                m.workspace.region
            ),
        );
    }
    Outcome::ok(format!("AWS_DEFAULT_REGION is {region}"))
}

/// Whether `value` is `host:port`.
fn host_port(value: &str) -> bool {
    value
        .rsplit_once(':')
        .is_some_and(|(host, port)| !host.is_empty() && port.parse::<u16>().is_ok_and(|p| p > 0))
}

fn daemon_address(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.xray.enabled {
        return Outcome::skipped("X-Ray is not wired");
    }
    let Some(value) = w.var("AWS_XRAY_DAEMON_ADDRESS") else {
        return Outcome::ok("AWS_XRAY_DAEMON_ADDRESS is not set: the SDK uses 127.0.0.1:2000 (compose sets xray-daemon:2000)");
    };
    let parts: Vec<&str> = value.split_whitespace().collect();
    let ok = match parts.as_slice() {
        [one] => host_port(one),
        [a, b] => {
            let mut kinds: Vec<&str> = [a, b]
                .iter()
                .filter_map(|p| p.split_once(':').map(|(k, _)| k))
                .collect();
            kinds.sort();
            kinds == ["tcp", "udp"]
                && [a, b]
                    .iter()
                    .all(|p| p.split_once(':').is_some_and(|(_, rest)| host_port(rest)))
        }
        _ => false,
    };
    if ok {
        Outcome::ok(format!("AWS_XRAY_DAEMON_ADDRESS is {value}"))
    } else {
        Outcome::error(
            format!("AWS_XRAY_DAEMON_ADDRESS is \"{value}\", which is neither host:port nor \"tcp:host:port udp:host:port\""),
            "export AWS_XRAY_DAEMON_ADDRESS=127.0.0.1:2000 (compose: xray-daemon:2000)",
        )
    }
}

fn gitpod_variables(w: &Workspace, _: &Probes) -> Outcome {
    let Some(gp) = &w.gp_env else {
        return Outcome::skipped("not in Gitpod (or gp is not on PATH)");
    };
    let missing: Vec<&str> = gp
        .iter()
        .map(String::as_str)
        .filter(|n| !w.env.contains_key(*n))
        .collect();
    if missing.is_empty() {
        return Outcome::ok(format!(
            "every variable gp env keeps ({}) is in this shell",
            gp.len()
        ));
    }
    Outcome::error(
        format!("gp env keeps {} but this shell does not have them (gp env reaches new workspaces only)", missing.join(", ")),
        "eval \"$(gp env -e)\" loads them into this shell",
    )
}
