//! `export cloudformation` and `export terraform`: templates cfn-lint passes (and a broken one it
//! fails, in the same harness), Terraform JSON whose arguments the providers' documented schema
//! knows, snapshots of the default workspace, the same bytes every time, and nothing written on
//! bad input.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::init::ANSWER_SETS;
use crate::support::{repo, stdout_of, venv_bin, Run};

/// A workspace made by `init --yes FLAGS` in `<tmp>/demo` (a fixed name: it is in the tags).
fn workspace(flags: &[&str]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("demo");
    Run::new(["init"]).arg(&dir).arg("--yes").args(flags).run();
    (tmp, dir)
}

const DEFAULT: &[&str] = &["--host", "local", "--region", "us-east-1"];

fn export(kind: &str, dir: &Path, extra: &[&str]) -> String {
    stdout_of(&Run::new(["export", kind]).arg(dir).args(extra).run())
}

/// cfn-lint's verdict on a template file: its exit code (0 clean, 2 errors, 4 warnings, 6 both)
/// and its report.
fn cfn_lint(path: &Path) -> (i32, String) {
    let out = Command::new(venv_bin("cfn-lint"))
        .arg("--")
        .arg(path)
        .output()
        .expect("cfn-lint runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), report)
}

fn answer_sets() -> Vec<(String, Vec<&'static str>)> {
    let mut sets: Vec<(String, Vec<&str>)> = vec![
        ("default".into(), DEFAULT.to_vec()),
        ("no-xray".into(), [DEFAULT, &["--no-xray"]].concat()),
        (
            "no-cloudwatch".into(),
            [DEFAULT, &["--no-cloudwatch"]].concat(),
        ),
        (
            "neither".into(),
            [DEFAULT, &["--no-xray", "--no-cloudwatch"]].concat(),
        ),
    ];
    sets.extend(
        ANSWER_SETS
            .iter()
            .map(|(name, flags)| (name.to_string(), flags.to_vec())),
    );
    sets
}

#[test]
fn export_cloudformation_passes_cfn_lint() {
    let out = tempfile::tempdir().unwrap();
    for (name, flags) in answer_sets() {
        let (_tmp, dir) = workspace(&flags);
        for format in ["yaml", "json"] {
            let path = out.path().join(format!("{name}.{format}"));
            Run::new(["export", "cloudformation"])
                .arg(&dir)
                .args(["--format", format, "-o"])
                .arg(&path)
                .stderr_contains("wrote the CloudFormation template")
                .run();
            let (code, report) = cfn_lint(&path);
            assert_eq!(
                code,
                0,
                "{name} ({format}): cfn-lint found problems:\n{report}\n{}",
                std::fs::read_to_string(&path).unwrap()
            );
        }
    }
}

#[test]
fn export_cloudformation_broken_templates_fail_cfn_lint() {
    let (_tmp, dir) = workspace(DEFAULT);
    let template: Value =
        serde_json::from_str(&export("cloudformation", &dir, &["--format", "json"])).unwrap();
    let out = tempfile::tempdir().unwrap();
    type Break = fn(&mut Value);
    let breaks: [(&str, Break, &str); 3] = [
        (
            "fixed-rate-high",
            |t| {
                t["Resources"]["SamplingRuleCruddur"]["Properties"]["SamplingRule"]["FixedRate"] =
                    "high".into()
            },
            "E30",
        ),
        (
            "unknown-property",
            |t| t["Resources"]["LogGroup"]["Properties"]["LogGroupNam"] = "cruddur".into(),
            "E3002",
        ),
        (
            "retention-not-allowed",
            |t| t["Resources"]["LogGroup"]["Properties"]["RetentionInDays"] = 8.into(),
            "E30",
        ),
    ];
    for (name, spoil, code) in breaks {
        let mut broken = template.clone();
        spoil(&mut broken);
        let path = out.path().join(format!("{name}.json"));
        std::fs::write(&path, serde_json::to_string_pretty(&broken).unwrap()).unwrap();
        let (status, report) = cfn_lint(&path);
        assert_ne!(status, 0, "{name}: cfn-lint passed a broken template");
        assert!(
            report.contains(code),
            "{name}: expected {code} in:\n{report}"
        );
    }
}

/// Problems with `args` (a resource's arguments, or a nested block's) against `schema` (its
/// required and optional arguments), nested blocks checked against `blocks`.
fn check_arguments(
    at: &str,
    args: &Value,
    schema: &Value,
    blocks: &Value,
    problems: &mut Vec<String>,
) {
    let names = |key: &str| -> Vec<String> {
        schema[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect()
    };
    let (required, optional) = (names("required"), names("optional"));
    let args = args.as_object().unwrap();
    for name in &required {
        if !args.contains_key(name) {
            problems.push(format!("{at}: required argument {name} missing"));
        }
    }
    for (name, value) in args {
        if !required.contains(name) && !optional.contains(name) {
            problems.push(format!("{at}: unknown argument {name}"));
        }
        if let Some(block) = blocks.get(name) {
            let items = value
                .as_array()
                .unwrap_or_else(|| panic!("{at}.{name}: a block is a list"));
            for item in items {
                check_arguments(&format!("{at}.{name}"), item, block, blocks, problems);
            }
        }
    }
}

fn terraform_problems(config: &Value) -> Vec<String> {
    let text =
        std::fs::read_to_string(repo().join("tests/fixtures/terraform-schema.json")).unwrap();
    let schema: Value = serde_json::from_str(&text).unwrap();
    let mut problems = Vec::new();
    for key in config.as_object().unwrap().keys() {
        if !["//", "terraform", "variable", "resource", "output"].contains(&key.as_str()) {
            problems.push(format!("unknown top-level block {key}"));
        }
    }
    let declared: Vec<&String> = config["variable"]
        .as_object()
        .map(|v| v.keys().collect())
        .unwrap_or_default();
    let text = config.to_string();
    for var in ["service_name", "retention_in_days", "fixed_rate"] {
        let used = text.contains(&format!("var.{var}"));
        let has = declared.iter().any(|d| *d == var);
        if used != has {
            problems.push(format!("variable {var}: used {used}, declared {has}"));
        }
    }
    let empty = serde_json::json!({});
    for (kind, resources) in config["resource"].as_object().into_iter().flatten() {
        let Some(rs) = schema.get(kind) else {
            problems.push(format!("unknown resource type {kind}"));
            continue;
        };
        let provider = kind.split('_').next().unwrap();
        if config["terraform"]["required_providers"]
            .get(provider)
            .is_none()
        {
            problems.push(format!("{kind}: provider {provider} not required"));
        }
        for (name, args) in resources.as_object().unwrap() {
            let ok = name.starts_with(|c: char| c.is_ascii_lowercase())
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !ok {
                problems.push(format!("{kind}.{name}: not a slug"));
            }
            let blocks = rs.get("blocks").unwrap_or(&empty);
            check_arguments(&format!("{kind}.{name}"), args, rs, blocks, &mut problems);
        }
    }
    problems
}

#[test]
fn export_terraform_matches_the_providers_schema() {
    for (name, flags) in answer_sets() {
        let (_tmp, dir) = workspace(&flags);
        let text = export("terraform", &dir, &[]);
        let config: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{name}: not JSON ({e}):\n{text}"));
        let problems = terraform_problems(&config);
        assert!(problems.is_empty(), "{name}: {problems:#?}\n{text}");
        let honeycomb = !flags.contains(&"--no-honeycomb");
        assert_eq!(
            config["terraform"]["required_providers"]
                .get("honeycombio")
                .is_some(),
            honeycomb,
            "{name}"
        );
    }
    // The check itself finds an unknown and a missing argument.
    let (_tmp, dir) = workspace(DEFAULT);
    let mut config: Value = serde_json::from_str(&export("terraform", &dir, &[])).unwrap();
    let rule = &mut config["resource"]["aws_xray_sampling_rule"]["cruddur"];
    rule.as_object_mut().unwrap().remove("priority");
    rule["rate"] = 1.into();
    assert_eq!(
        terraform_problems(&config),
        [
            "aws_xray_sampling_rule.cruddur: required argument priority missing",
            "aws_xray_sampling_rule.cruddur: unknown argument rate",
        ]
    );
}

#[test]
fn export_snapshots_of_the_default_workspace() {
    let (_tmp, dir) = workspace(DEFAULT);
    insta::assert_snapshot!("cloudformation-yaml", export("cloudformation", &dir, &[]));
    insta::assert_snapshot!("terraform", export("terraform", &dir, &[]));
}

#[test]
fn export_is_deterministic_and_output_file_matches_stdout() {
    let (tmp, dir) = workspace(DEFAULT);
    for (kind, extra) in [
        ("cloudformation", &[][..]),
        ("cloudformation", &["--format", "json"][..]),
        ("terraform", &[][..]),
    ] {
        let first = export(kind, &dir, extra);
        assert_eq!(first, export(kind, &dir, extra), "{kind} {extra:?}");
        let file = tmp.path().join("out").join("template");
        Run::new(["export", kind])
            .arg(&dir)
            .args(extra)
            .arg("-o")
            .arg(&file)
            .stdout("")
            .stderr_contains(file.display().to_string())
            .run();
        assert_eq!(std::fs::read_to_string(&file).unwrap(), first);
    }
}

#[test]
fn export_bad_input_exits_2_and_writes_nothing() {
    let (tmp, dir) = workspace(DEFAULT);
    std::fs::write(dir.join("aws/json/xray.json"), "{\"SamplingRule\": {").unwrap();
    for kind in ["cloudformation", "terraform"] {
        let file = tmp.path().join(format!("{kind}.out"));
        Run::new(["export", kind])
            .arg(&dir)
            .arg("-o")
            .arg(&file)
            .status(2)
            .stdout("")
            .stderr_contains("xray.json")
            .run();
        assert!(!file.exists(), "{kind}: wrote {}", file.display());
    }
}
