//! The variables: set, spelled right, consistent with each other and with the workspace.

use crate::aws::check_region;
use crate::doctor::compose::{self, Setting, Vars};
use crate::doctor::probes::Probes;
use crate::doctor::repair::{Fix, Repair};
use crate::doctor::workspace::Workspace;
use crate::doctor::{Check, Needs, Outcome, Section};
use crate::honeycomb::{self, Region};
use crate::manifest::Host;
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

/// The wired parts that need `name`, by their names.
fn parts_needing(w: &Workspace, name: &str) -> Vec<&'static str> {
    let m = &w.manifest;
    match name {
        "HONEYCOMB_API_KEY" if m.honeycomb.enabled => vec!["Honeycomb"],
        "AWS_ACCESS_KEY_ID" | "AWS_SECRET_ACCESS_KEY" | "AWS_DEFAULT_REGION" => [
            (m.xray.enabled, "X-Ray"),
            (m.cloudwatch.enabled, "CloudWatch Logs"),
        ]
        .into_iter()
        .filter(|(on, _)| *on)
        .map(|(_, part)| part)
        .collect(),
        "ROLLBAR_ACCESS_TOKEN" if m.rollbar.enabled => vec!["Rollbar"],
        _ => Vec::new(),
    }
}

/// Variables the host itself sets (Gitpod, Codespaces): never the user's to set.
fn host_provided(name: &str) -> bool {
    name.starts_with("GITPOD_") || name.starts_with("CODESPACE") || name.starts_with("GITHUB_")
}

/// The env subcommand that prints the lines to set, for this host (with the workspace's folder
/// when doctor was pointed at another one).
fn env_command(w: &Workspace) -> String {
    let dir = w.dir.display().to_string();
    let dir = Some(dir).filter(|d| {
        !d.is_empty()
            && d != "."
            && d.chars()
                .all(|c| c.is_ascii_alphanumeric() || "/._-+@%=:,".contains(c))
    });
    match (w.manifest.workspace.host, dir) {
        (Host::Gitpod, None) => "`cruddur-obs env gitpod`".to_string(),
        (Host::Gitpod, Some(dir)) => format!("`cruddur-obs env gitpod {dir}`"),
        (Host::Codespaces, None) => "`cruddur-obs env codespaces`".to_string(),
        (Host::Codespaces, Some(dir)) => format!("`cruddur-obs env codespaces {dir}`"),
        (Host::Local, None) => "`cruddur-obs env dotenv`".to_string(),
        (Host::Local, Some(dir)) => format!("`cruddur-obs env dotenv {dir}`"),
    }
}

/// The first compose file, for fixes that point at it.
fn compose_file(w: &Workspace) -> &str {
    w.compose
        .first()
        .map(|f| f.path.as_str())
        .unwrap_or("docker-compose.yml")
}

fn required(w: &Workspace, _: &Probes) -> Outcome {
    let v = Vars::new(w);
    // Set for the backend: in the shell or .env (compose passes them on), or given to the
    // backend by compose itself, complete.
    let available = |name: &str| {
        v.filled(name).is_some()
            || v.backend_var(name).is_some_and(|e| {
                e.filled().is_some() && e.missing().is_empty() && e.error.is_none()
            })
    };
    let mut checked: Vec<String> = Vec::new();
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    let mut need = |name: &str, why: String, set: bool| {
        if !checked.iter().any(|c| c == name) {
            checked.push(name.to_string());
        }
        if set {
            return;
        }
        match missing.iter_mut().find(|(n, _)| n == name) {
            Some((_, whys)) => {
                if !whys.contains(&why) {
                    whys.push(why)
                }
            }
            None => missing.push((name.to_string(), vec![why])),
        }
    };
    for name in secrets(w) {
        let set = if name == "HONEYCOMB_API_KEY" {
            available(name) || available("OTEL_EXPORTER_OTLP_HEADERS")
        } else {
            available(name)
        };
        need(name, parts_needing(w, name).join(", "), set);
    }
    if w.manifest.xray.enabled || w.manifest.cloudwatch.enabled {
        let set = available("AWS_DEFAULT_REGION") || available("AWS_REGION");
        let parts = parts_needing(w, "AWS_DEFAULT_REGION").join(", ");
        need("AWS_DEFAULT_REGION", format!("{parts}: a region"), set);
    }
    let (references, refused) = v.references();
    for r in references.iter().filter(|r| !host_provided(&r.name)) {
        need(&r.name, format!("{} reads it", r.at), !r.is_missing());
    }
    let mut findings = Vec::new();
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(name, whys)| format!("{name} ({})", whys.join("; ")))
            .collect();
        let fix = if w.compose.is_empty() {
            format!("export each; {} shows the lines", env_command(w))
        } else {
            format!(
                "export each, or set it in .env beside {} (compose reads both); {} shows the lines for the wired parts",
                compose_file(w),
                env_command(w)
            )
        };
        findings.push(Outcome::error(
            format!("not set or empty: {}", list.join(", ")),
            fix,
        ));
    }
    for problem in &v.dotenv.problems {
        findings.push(Outcome::error(
            format!(".env {problem}: compose refuses to start"),
            "fix the line: NAME=value, quoted when it holds spaces, $$ for a literal $",
        ));
    }
    for problem in &refused {
        findings.push(Outcome::error(
            format!("{problem}: compose refuses to start"),
            "set the variable, or write $$ for a literal $ in the compose file",
        ));
    }
    Outcome::each(
        findings,
        Outcome::ok(format!(
            "all {} variables the workspace needs are set",
            checked.len()
        )),
    )
}

fn misspelled(w: &Workspace, _: &Probes) -> Outcome {
    let mut names: Vec<String> = w.env.keys().cloned().collect();
    names.extend(compose::dotenv(w).entries.into_iter().map(|e| e.name));
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
            "rename each to the right name in the shell, gp env, .env and docker-compose.yml; the misspelled one is read by nothing",
        )
    }
}

/// `raw` with every `${VAR}` form replaced as compose would, from the shell and `.env`.
pub fn resolve(w: &Workspace, raw: &str) -> String {
    compose::interpolate(w, raw).value
}

fn service_name(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let name = &w.manifest.workspace.service;
    let v = Vars::new(w);
    if let Some(entry) = v.backend_var("OTEL_SERVICE_NAME") {
        if let Some(value) = entry.filled().filter(|_| entry.error.is_none()) {
            return Outcome::ok(format!(
                "the backend's service name is {value} ({})",
                entry.origin()
            ));
        }
        let why = match (&entry.error, &entry.raw) {
            (Some(e), _) => format!("compose refuses it: {e}"),
            (None, Some(raw)) if entry.is_literal() => format!("it is written as \"{raw}\""),
            (None, Some(raw)) => {
                format!("\"{raw}\" resolves to nothing here ({})", entry.sources())
            }
            (None, None) => format!(
                "it is passed on from the shell or .env ({})",
                entry.origin()
            ),
        };
        let finding = format!(
            "{} gives the backend an empty OTEL_SERVICE_NAME: {why}; spans land under unknown_service",
            entry.at()
        );
        if !entry.in_compose {
            return Outcome::error(
                finding,
                format!("write OTEL_SERVICE_NAME={name} in {}", entry.file),
            );
        }
        let service = v.backend_service().unwrap_or_else(|| name.clone());
        return Outcome::error(
            finding,
            format!(
                "write the name itself in {}: OTEL_SERVICE_NAME: \"{name}\"",
                entry.file
            ),
        )
        .repaired_by(Repair::new(
            entry.file.clone(),
            Fix::ComposeLiteral {
                service,
                variable: "OTEL_SERVICE_NAME".into(),
                value: name.clone(),
            },
        ));
    }
    match w.env.get("OTEL_SERVICE_NAME") {
        Some(value) if value.trim().is_empty() => Outcome::error(
            "OTEL_SERVICE_NAME is set but empty in the shell: spans land under unknown_service",
            format!("export OTEL_SERVICE_NAME={name}"),
        ),
        Some(value) => Outcome::ok(format!("the service name is {value} (from the shell)")),
        None => Outcome::warn(
            format!(
                "OTEL_SERVICE_NAME is set neither in the shell nor by {}: spans land under unknown_service",
                if w.compose.is_empty() { "a compose file" } else { compose_file(w) }
            ),
            format!("export OTEL_SERVICE_NAME={name}"),
        ),
    }
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

const HEADERS_FIX: &str =
    "export OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"";

/// A finding when compose builds the backend's `name` from variables that are not set (that
/// is env.required's finding) or refuses it.
fn incomplete(setting: &Setting) -> Option<Outcome> {
    let entry = setting.entry.as_ref()?;
    if let Some(e) = &entry.error {
        return Some(Outcome::error(
            format!("{}: {e}", entry.at()),
            format!(
                "set the variable, or write {} itself in {}",
                setting.name, entry.file
            ),
        ));
    }
    let missing = entry.missing();
    if missing.is_empty() {
        return None;
    }
    Some(Outcome::skipped(format!(
        "{} builds {} from {}, which {} not set (see env.required)",
        entry.at(),
        setting.name,
        missing.join(", "),
        if missing.len() == 1 { "is" } else { "are" }
    )))
}

fn otlp_headers(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let v = Vars::new(w);
    let headers = v.backend_setting("OTEL_EXPORTER_OTLP_HEADERS", true);
    if let Some(outcome) = incomplete(&headers) {
        return outcome;
    }
    let key = v.filled("HONEYCOMB_API_KEY");
    let Some(value) = &headers.value else {
        if key.is_none() {
            return Outcome::skipped("no HONEYCOMB_API_KEY to send (see env.required)");
        }
        return Outcome::error(
            format!(
                "the backend's OTEL_EXPORTER_OTLP_HEADERS is not set ({}): Honeycomb rejects spans without the key",
                headers.from
            ),
            match v.backend_service() {
                Some(s) => format!(
                    "give the {s} service OTEL_EXPORTER_OTLP_HEADERS: \"x-honeycomb-team=${{HONEYCOMB_API_KEY}}\" in {}",
                    compose_file(w)
                ),
                None => HEADERS_FIX.to_string(),
            },
        );
    };
    let source = format!("OTEL_EXPORTER_OTLP_HEADERS ({})", headers.from);
    let pairs = match parse_headers(value) {
        Ok(p) => p,
        Err(part) => {
            return Outcome::error(
                format!(
                "{source} is malformed at \"{}\": expected name=value pairs separated by commas",
                mask(&part)
            ),
                HEADERS_FIX,
            )
        }
    };
    let Some((_, team)) = pairs.iter().find(|(k, _)| k == "x-honeycomb-team") else {
        return Outcome::error(
            format!("{source} has no x-honeycomb-team header"),
            HEADERS_FIX,
        );
    };
    let written = headers.entry.as_ref().filter(|e| e.is_literal());
    match key {
        Some(key) if key.value.trim() != team && written.is_some() => Outcome::skipped(format!(
            "{source} carries a key written into the file itself ({}), not HONEYCOMB_API_KEY's (see security.literal-secrets)",
            mask(team)
        )),
        Some(key) if key.value.trim() != team => Outcome::error(
            format!(
                "{source} carries key {}, but HONEYCOMB_API_KEY (from {}) is {}",
                mask(team),
                key.source,
                mask(key.value.trim())
            ),
            "build the header from the variable: OTEL_EXPORTER_OTLP_HEADERS=\"x-honeycomb-team=$HONEYCOMB_API_KEY\"",
        ),
        _ => Outcome::ok(format!("{source} carries the key ({})", mask(team))),
    }
}

fn otlp_endpoint(w: &Workspace, _: &Probes) -> Outcome {
    if !w.manifest.honeycomb.enabled {
        return Outcome::skipped("Honeycomb is not wired");
    }
    let v = Vars::new(w);
    let setting = v.backend_setting("OTEL_EXPORTER_OTLP_ENDPOINT", true);
    if let Some(outcome) = incomplete(&setting) {
        return outcome;
    }
    let Some(endpoint) = setting.value.as_deref().map(str::trim) else {
        return Outcome::error(
            format!(
                "the backend's OTEL_EXPORTER_OTLP_ENDPOINT is not set ({}): the backend sends no spans",
                setting.from
            ),
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io",
        );
    };
    let from = &setting.from;
    if endpoint.trim_end_matches('/').ends_with("/v1/traces") {
        return Outcome::error(
            format!("OTEL_EXPORTER_OTLP_ENDPOINT is {endpoint} ({from}): exporters add /v1/traces themselves, so spans go to .../v1/traces/v1/traces"),
            "drop /v1/traces from it (or set OTEL_EXPORTER_OTLP_TRACES_ENDPOINT instead)",
        );
    }
    let region = v
        .filled("HONEYCOMB_API_KEY")
        .and_then(|k| honeycomb::classify(k.value.trim()).ok())
        .map(|s| s.region);
    let eu = endpoint.contains("api.eu1.honeycomb.io");
    let us = endpoint.contains("api.honeycomb.io");
    match region {
        Some(Region::Eu) if us => Outcome::error(
            format!("the key is an EU key, but spans go to {endpoint} ({from})"),
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.eu1.honeycomb.io",
        ),
        Some(Region::Us) if eu => Outcome::error(
            format!("the key is a US key, but spans go to {endpoint} ({from})"),
            "export OTEL_EXPORTER_OTLP_ENDPOINT=https://api.honeycomb.io",
        ),
        _ if us || eu => Outcome::ok(format!("spans go to {endpoint} ({from}), the key's region")),
        _ => Outcome::ok(format!(
            "spans go to {endpoint} ({from}; not Honeycomb itself: a collector or a test receiver)"
        )),
    }
}

/// A region to put in a fix: the manifest's when there is one, else one the workspace already
/// names, else the bootcamp's.
fn suggested_region(w: &Workspace, seen: &[&Setting]) -> String {
    if w.has_manifest {
        return w.manifest.workspace.region.clone();
    }
    seen.iter()
        .filter_map(|s| s.value.clone())
        .chain(
            ["AWS_DEFAULT_REGION", "AWS_REGION"]
                .iter()
                .filter_map(|n| compose::lookup(w, n).map(|r| r.value)),
        )
        .map(|r| r.trim().to_string())
        .find(|r| check_region("", r).is_ok())
        .unwrap_or_else(|| "us-east-1".to_string())
}

fn aws_region(w: &Workspace, _: &Probes) -> Outcome {
    let m = &w.manifest;
    if !(m.xray.enabled || m.cloudwatch.enabled) {
        return Outcome::skipped("neither X-Ray nor CloudWatch Logs is wired");
    }
    let v = Vars::new(w);
    let region = v.backend_setting("AWS_DEFAULT_REGION", false);
    let other = v.backend_setting("AWS_REGION", false);
    let suggested = suggested_region(w, &[&region, &other]);
    if let Some(e) = region.entry.as_ref().and_then(|e| e.error.as_ref()) {
        let at = region.entry.as_ref().map(|e| e.at()).unwrap_or_default();
        return Outcome::error(
            format!("{at}: {e}: compose refuses to start"),
            format!("export AWS_DEFAULT_REGION={suggested} (or set it in .env)"),
        );
    }
    let Some(value) = region.value.as_deref().map(str::trim) else {
        let mut note = match &other.value {
            Some(r) => format!(
                " (its AWS_REGION is {r}, from {}, which older boto3 ignores)",
                other.from
            ),
            None => String::new(),
        };
        if let (Some(_), None, Some(r)) = (v.backend_service(), &other.value, w.var("AWS_REGION")) {
            note = format!(" (the shell's AWS_REGION is {r}, which compose does not pass on)");
        }
        let fix = match (&region.entry, v.backend_service()) {
            (Some(e), _) if e.is_literal() => {
                format!("write the region itself in {}: AWS_DEFAULT_REGION: \"{suggested}\"", e.at())
            }
            (Some(_), _) => format!(
                "export AWS_DEFAULT_REGION={suggested}, or set AWS_DEFAULT_REGION={suggested} in .env beside {}",
                compose_file(w)
            ),
            (None, Some(s)) => format!(
                "give the {s} service AWS_DEFAULT_REGION: \"${{AWS_DEFAULT_REGION:-{suggested}}}\" in {}",
                compose_file(w)
            ),
            (None, None) => format!("export AWS_DEFAULT_REGION={suggested}"),
        };
        return Outcome::error(
            format!(
                "the backend's AWS_DEFAULT_REGION is not set ({}){note}: boto3, and so watchtower, fails with NoRegionError",
                region.from
            ),
            fix,
        );
    };
    if let Err(e) = check_region(
        &format!("the backend's AWS_DEFAULT_REGION ({})", region.from),
        value,
    ) {
        return Outcome::error(e.message, e.hint.unwrap_or_default());
    }
    if let Some(o) = other
        .value
        .as_deref()
        .map(str::trim)
        .filter(|o| *o != value)
    {
        return Outcome::error(
            format!(
                "the backend's AWS_DEFAULT_REGION is {value} ({}) but its AWS_REGION is {o} ({}): some tools use one, some the other",
                region.from, other.from
            ),
            format!("set both to {}", if w.has_manifest { &m.workspace.region } else { value }),
        );
    }
    if w.has_manifest && value != m.workspace.region {
        return Outcome::error(
            format!(
                "the backend's AWS_DEFAULT_REGION is {value} ({}), but the workspace's resources are in {}",
                region.from, m.workspace.region
            ),
            format!(
                "set AWS_DEFAULT_REGION and AWS_REGION to {}",
                m.workspace.region
            ),
        );
    }
    Outcome::ok(format!(
        "the backend's AWS_DEFAULT_REGION is {value} ({})",
        region.from
    ))
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
    let setting = Vars::new(w).backend_setting("AWS_XRAY_DAEMON_ADDRESS", true);
    let Some(value) = setting.value.as_deref().map(str::trim) else {
        return Outcome::ok(format!(
            "AWS_XRAY_DAEMON_ADDRESS is not set ({}): the SDK uses 127.0.0.1:2000 (compose sets xray-daemon:2000)",
            setting.from
        ));
    };
    let from = &setting.from;
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
        Outcome::ok(format!("AWS_XRAY_DAEMON_ADDRESS is {value} ({from})"))
    } else {
        Outcome::error(
            format!("AWS_XRAY_DAEMON_ADDRESS is \"{value}\" ({from}), which is neither host:port nor \"tcp:host:port udp:host:port\""),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::compose::tests::workspace;
    use crate::doctor::Status;

    fn run(name: &str, w: &Workspace) -> Outcome {
        let check = crate::doctor::checks::ALL
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("no check {name}"));
        (check.run)(w, &Probes::offline())
    }

    /// Wired by hand, no manifest: only the parts named are on.
    fn wired(mut w: Workspace, parts: &[&str]) -> Workspace {
        let m = &mut w.manifest;
        m.honeycomb.enabled = parts.contains(&"honeycomb");
        m.xray.enabled = parts.contains(&"xray");
        m.cloudwatch.enabled = parts.contains(&"cloudwatch");
        m.rollbar.enabled = parts.contains(&"rollbar");
        m.workspace.host = Host::Local;
        w
    }

    /// A Honeycomb-only week-2 compose file, as people wrote it.
    const HONEYCOMB_ONLY: &str = r#"version: "3.8"
services:
  backend-flask:
    environment:
      FRONTEND_URL: "https://3000-${GITPOD_WORKSPACE_ID}.${GITPOD_WORKSPACE_CLUSTER_HOST}"
      # HONEYCOMB_SERVICE_NAME: "backend-flask"
      OTEL_SERVICE_NAME: "${OTEL_SERVICE_NAME}"
      OTEL_EXPORTER_OTLP_ENDPOINT: "https://api.honeycomb.io"
      OTEL_EXPORTER_OTLP_HEADERS: "x-honeycomb-team=${HONEYCOMB_API_KEY}"
    build: ./backend-flask
    ports:
      - "4567:4567"
  frontend-react-js:
    environment:
      REACT_APP_BACKEND_URL: "${BACKEND_URL:-http://localhost:4567}"
    build: ./frontend-react-js"#;

    const KEY: &str = "hcaik_01testkey0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y";

    #[test]
    fn doctor_env_required_asks_only_what_the_wired_parts_use() {
        let dir = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", HONEYCOMB_ONLY),
                    (
                        ".env",
                        "# compose reads this\nOTEL_SERVICE_NAME=backend-flask",
                    ),
                ],
                &[],
            ),
            &["honeycomb"],
        );
        let o = run("env.required", &w);
        assert_eq!(o.status, Status::Error);
        assert_eq!(
            o.finding,
            "not set or empty: HONEYCOMB_API_KEY (Honeycomb; docker-compose.yaml:9 reads it)"
        );
        assert!(o.more.is_empty());
        // The fix names an env subcommand that parses.
        let fix = o.fix.unwrap();
        assert!(
            fix.ends_with("` shows the lines for the wired parts"),
            "{fix}"
        );
        let command = fix.split('`').nth(1).unwrap();
        let words: Vec<&str> = command.split_whitespace().collect();
        assert_eq!(words[1..3], ["env", "dotenv"], "{fix}");
        assert_eq!(words.get(3).copied(), dir.path().to_str(), "{fix}");
        use clap::Parser;
        crate::cli::Cli::try_parse_from(command.split_whitespace())
            .unwrap_or_else(|e| panic!("{command}: {e}"));

        // Set in .env, the key is no longer missing; the shell is not needed.
        std::fs::write(
            dir.path().join(".env"),
            format!("OTEL_SERVICE_NAME=backend-flask\nHONEYCOMB_API_KEY={KEY}\n"),
        )
        .unwrap();
        let mut again = Workspace::load(dir.path(), None, 0.1);
        again.env = Default::default();
        let again = wired(again, &["honeycomb"]);
        let o = run("env.required", &again);
        assert_eq!(o.status, Status::Ok, "{}", o.finding);
        assert_eq!(o.finding, "all 2 variables the workspace needs are set");
    }

    #[test]
    fn doctor_env_required_names_the_part_and_keeps_the_shell_above_dotenv() {
        let dir = tempfile::tempdir().unwrap();
        let compose = "services:\n  backend-flask:\n    environment:\n      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"\n      ROLLBAR_ACCESS_TOKEN: \"${ROLLBAR_ACCESS_TOKEN}\"\n";
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", compose),
                    (
                        ".env",
                        "AWS_DEFAULT_REGION=eu-west-1\nAWS_ACCESS_KEY_ID=AKIAEXAMPLE\n",
                    ),
                ],
                // Set but empty in the shell: compose takes the shell's empty value.
                &[
                    ("AWS_DEFAULT_REGION", ""),
                    ("AWS_SECRET_ACCESS_KEY", "s3cr3t-s3cr3t-s3cr3t"),
                ],
            ),
            &["xray", "rollbar"],
        );
        let o = run("env.required", &w);
        assert_eq!(
            o.finding,
            "not set or empty: ROLLBAR_ACCESS_TOKEN (Rollbar; docker-compose.yaml:5 reads it), \
             AWS_DEFAULT_REGION (X-Ray: a region; docker-compose.yaml:4 reads it)"
        );
        assert!(!o.finding.contains("s3cr3t"));
    }

    #[test]
    fn doctor_env_required_reports_what_compose_refuses() {
        let dir = tempfile::tempdir().unwrap();
        let compose = "services:\n  backend-flask:\n    environment:\n      OTEL_SERVICE_NAME: \"${NAME:?set NAME}\"\n";
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", compose),
                    (".env", "OK=1\nPASSWORD=pa$5word\n"),
                ],
                &[("HONEYCOMB_API_KEY", KEY)],
            ),
            &["honeycomb"],
        );
        let o = run("env.required", &w);
        assert_eq!(o.status, Status::Error);
        assert!(
            o.finding.starts_with("not set or empty: NAME ("),
            "{}",
            o.finding
        );
        assert_eq!(o.more.len(), 2, "{:?}", o.more);
        assert!(
            o.more[0].finding.starts_with(".env line 2 (PASSWORD)"),
            "{}",
            o.more[0].finding
        );
        assert!(!o.more[0].finding.contains("pa$5word"));
        assert_eq!(
            o.more[1].finding,
            "docker-compose.yaml:4: required variable NAME is missing a value: set NAME: compose refuses to start"
        );
    }

    #[test]
    fn doctor_env_service_name_counts_dotenv_and_says_from_where() {
        let dir = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", HONEYCOMB_ONLY),
                    (
                        ".env",
                        "# the name\nexport OTEL_SERVICE_NAME=\"backend-flask\"",
                    ),
                ],
                &[],
            ),
            &["honeycomb"],
        );
        let o = run("env.service-name", &w);
        assert_eq!(o.status, Status::Ok);
        assert_eq!(
            o.finding,
            "the backend's service name is backend-flask (docker-compose.yaml:7, OTEL_SERVICE_NAME from .env:2)"
        );
    }

    #[test]
    fn doctor_env_service_name_unset_in_compose_is_an_error_with_its_repair() {
        let dir = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(dir.path(), &[("docker-compose.yaml", HONEYCOMB_ONLY)], &[]),
            &["honeycomb"],
        );
        let o = run("env.service-name", &w);
        assert_eq!(o.status, Status::Error);
        assert!(
            o.finding.starts_with("docker-compose.yaml:7 gives the backend an empty OTEL_SERVICE_NAME: \"${OTEL_SERVICE_NAME}\" resolves to nothing here"),
            "{}",
            o.finding
        );
        assert_eq!(
            o.repair.map(|r| *r),
            Some(Repair::new(
                "docker-compose.yaml",
                Fix::ComposeLiteral {
                    service: "backend-flask".into(),
                    variable: "OTEL_SERVICE_NAME".into(),
                    value: "backend-flask".into(),
                }
            ))
        );
    }

    #[test]
    fn doctor_env_otlp_headers_come_from_compose_with_their_sources() {
        let dir = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", HONEYCOMB_ONLY),
                    (".env", format!("HONEYCOMB_API_KEY={KEY}").as_str()),
                ],
                // The shell's own headers are not what the container gets.
                &[("OTEL_EXPORTER_OTLP_HEADERS", "x-honeycomb-team=other")],
            ),
            &["honeycomb"],
        );
        let o = run("env.otlp-headers", &w);
        assert_eq!(o.status, Status::Ok, "{}", o.finding);
        assert!(
            o.finding
                .contains("docker-compose.yaml:9, HONEYCOMB_API_KEY from .env:1"),
            "{}",
            o.finding
        );
        assert!(!o.finding.contains(KEY));
        let o = run("env.otlp-endpoint", &w);
        assert_eq!(o.status, Status::Ok);
        assert!(
            o.finding.contains("written in docker-compose.yaml:8"),
            "{}",
            o.finding
        );

        // Without the key, compose sends an empty header: that is env.required's finding.
        let dir = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(dir.path(), &[("docker-compose.yaml", HONEYCOMB_ONLY)], &[]),
            &["honeycomb"],
        );
        let o = run("env.otlp-headers", &w);
        assert_eq!(o.status, Status::Skipped, "{}", o.finding);
        assert!(o.finding.ends_with("(see env.required)"));
    }

    /// The bootcamp's X-Ray wiring, with the backend's region as given.
    fn xray_compose(backend_region: &str, daemon_region: &str) -> String {
        format!(
            r#"services:
  backend-flask:
    build: ./backend-flask
    environment:
      OTEL_SERVICE_NAME: "backend-flask"
{backend_region}
      AWS_XRAY_DAEMON_ADDRESS: "xray-daemon:2000"
  xray-daemon:
    image: "amazon/aws-xray-daemon"
    environment:
      AWS_ACCESS_KEY_ID: "${{AWS_ACCESS_KEY_ID}}"
{daemon_region}
    command:
      - "xray -o -b xray-daemon:2000"
    ports:
      - 2000:2000/udp"#
        )
    }

    #[test]
    fn doctor_env_aws_region_hard_coded_in_compose_needs_no_shell_region() {
        let dir = tempfile::tempdir().unwrap();
        let compose = xray_compose(
            "      AWS_DEFAULT_REGION: \"ca-central-1\"",
            "      AWS_REGION: \"ca-central-1\"",
        );
        let w = wired(
            workspace(
                dir.path(),
                &[("docker-compose.yaml", compose.as_str())],
                &[],
            ),
            &["xray", "cloudwatch"],
        );
        let o = run("env.aws-region", &w);
        assert_eq!(o.status, Status::Ok, "{}", o.finding);
        assert_eq!(
            o.finding,
            "the backend's AWS_DEFAULT_REGION is ca-central-1 (written in docker-compose.yaml:6)"
        );
        let o = run("aws.daemon-region", &w);
        assert_eq!(o.status, Status::Ok, "{}", o.finding);
        assert_eq!(
            o.finding,
            "the xray-daemon service uses ca-central-1 (written in docker-compose.yaml:12), as the backend does (written in docker-compose.yaml:6)"
        );
    }

    #[test]
    fn doctor_env_aws_region_errors_keep_their_sources() {
        let dir = tempfile::tempdir().unwrap();
        let compose = xray_compose(
            "      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"\n      AWS_REGION: \"eu-west-1\"",
            "",
        );
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", compose.as_str()),
                    (".env", "AWS_DEFAULT_REGION=can-central-1"),
                ],
                &[],
            ),
            &["cloudwatch"],
        );
        let o = run("env.aws-region", &w);
        assert_eq!(o.status, Status::Error);
        assert!(
            o.finding.contains("AWS_DEFAULT_REGION from .env:1"),
            "{}",
            o.finding
        );
        assert!(
            o.finding.contains("\"can-central-1\" is not an AWS region"),
            "{}",
            o.finding
        );

        std::fs::write(dir.path().join(".env"), "AWS_DEFAULT_REGION=us-east-1").unwrap();
        let mut w2 = Workspace::load(dir.path(), None, 0.1);
        w2.env = Default::default();
        let w2 = wired(w2, &["cloudwatch"]);
        let o = run("env.aws-region", &w2);
        assert_eq!(o.status, Status::Error);
        assert_eq!(
            o.finding,
            "the backend's AWS_DEFAULT_REGION is us-east-1 (docker-compose.yaml:6, AWS_DEFAULT_REGION from .env:1) \
             but its AWS_REGION is eu-west-1 (written in docker-compose.yaml:7): some tools use one, some the other"
        );
    }

    #[test]
    fn doctor_env_aws_region_unset_says_so_and_falls_back_to_the_shell_without_compose() {
        let dir = tempfile::tempdir().unwrap();
        let compose = xray_compose(
            "      # AWS_DEFAULT_REGION: \"us-east-1\"",
            "      AWS_REGION: \"us-east-1\"",
        );
        let w = wired(
            workspace(
                dir.path(),
                &[("docker-compose.yaml", compose.as_str())],
                &[("AWS_DEFAULT_REGION", "us-east-1")],
            ),
            &["xray"],
        );
        let o = run("env.aws-region", &w);
        assert_eq!(o.status, Status::Error, "{}", o.finding);
        assert!(
            o.finding.starts_with("the backend's AWS_DEFAULT_REGION is not set (the backend-flask service in docker-compose.yaml does not set it)"),
            "{}",
            o.finding
        );
        assert!(o
            .fix
            .unwrap()
            .starts_with("give the backend-flask service AWS_DEFAULT_REGION:"));

        let bare = tempfile::tempdir().unwrap();
        let w = wired(
            workspace(bare.path(), &[], &[("AWS_DEFAULT_REGION", "eu-west-2")]),
            &["xray"],
        );
        let o = run("env.aws-region", &w);
        assert_eq!(o.status, Status::Ok);
        assert_eq!(
            o.finding,
            "the backend's AWS_DEFAULT_REGION is eu-west-2 (the shell)"
        );
    }

    #[test]
    fn doctor_daemon_region_through_variables_that_disagree_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let compose = xray_compose(
            "      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"",
            "      AWS_REGION: \"${AWS_REGION}\"",
        );
        let w = wired(
            workspace(
                dir.path(),
                &[
                    ("docker-compose.yaml", compose.as_str()),
                    (".env", "# regions\nAWS_REGION=eu-west-1\n"),
                ],
                &[("AWS_DEFAULT_REGION", "us-east-1")],
            ),
            &["xray"],
        );
        let o = run("aws.daemon-region", &w);
        assert_eq!(o.status, Status::Error, "{}", o.finding);
        assert_eq!(
            o.finding,
            "the xray-daemon service sends traces to eu-west-1 (docker-compose.yaml:12, AWS_REGION from .env:2), \
             but the backend's region (docker-compose.yaml:6, AWS_DEFAULT_REGION from the shell) is us-east-1: \
             the group and rule are looked up in one region, the traces land in another"
        );
        // The same variable on both sides agrees.
        let same = xray_compose(
            "      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"",
            "      AWS_REGION: \"${AWS_DEFAULT_REGION}\"",
        );
        std::fs::write(dir.path().join("docker-compose.yaml"), same).unwrap();
        let mut w = Workspace::load(dir.path(), None, 0.1);
        w.env = [("AWS_DEFAULT_REGION".to_string(), "us-east-1".to_string())].into();
        let w = wired(w, &["xray"]);
        assert_eq!(run("aws.daemon-region", &w).status, Status::Ok);
    }

    #[test]
    fn doctor_daemon_region_never_claims_the_backend_when_its_region_is_unset() {
        let cases = [
            "      AWS_DEFAULT_REGION: \"${AWS_DEFAULT_REGION}\"",
            "      # AWS_DEFAULT_REGION: \"us-east-1\"",
            "",
        ];
        for backend in cases {
            let dir = tempfile::tempdir().unwrap();
            let compose = xray_compose(backend, "      AWS_REGION: \"us-east-1\"");
            let w = wired(
                workspace(
                    dir.path(),
                    &[("docker-compose.yaml", compose.as_str())],
                    &[],
                ),
                &["xray"],
            );
            assert!(!w.has_manifest);
            let o = run("aws.daemon-region", &w);
            assert_eq!(o.status, Status::Skipped, "{backend:?}: {}", o.finding);
            assert!(!o.finding.contains("as the backend does"), "{}", o.finding);
            assert!(
                o.finding.starts_with("the backend's region is not set ("),
                "{}",
                o.finding
            );
            assert!(o.finding.ends_with("see env.aws-region)"), "{}", o.finding);
        }
    }

    #[test]
    fn doctor_daemon_region_flag_is_resolved_as_compose_does() {
        let dir = tempfile::tempdir().unwrap();
        let compose = r#"services:
  backend-flask:
    environment:
      AWS_DEFAULT_REGION: "${AWS_DEFAULT_REGION:-ca-central-1}"
  xray-daemon:
    image: "amazon/aws-xray-daemon:3.x"
    environment:
      AWS_REGION: "us-east-1"
    command: ["-o", "-b", "0.0.0.0:2000", "-n", "${AWS_DEFAULT_REGION:-ca-central-1}"]"#;
        let w = wired(
            workspace(dir.path(), &[("docker-compose.yaml", compose)], &[]),
            &["xray"],
        );
        let o = run("aws.daemon-region", &w);
        assert_eq!(o.status, Status::Ok, "{}", o.finding);
        assert!(
            o.finding.starts_with("the xray-daemon service uses ca-central-1 (docker-compose.yaml:9, AWS_DEFAULT_REGION set in neither the shell nor .env)"),
            "{}",
            o.finding
        );
    }
}
