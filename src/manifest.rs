//! The workspace manifest, `cruddur-obs.toml`: the answers `init` was given. `init` writes it,
//! and `env`, `doctor` and `up` read it. It is also the context every template is rendered with.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::aws::check_region;
use crate::error::Failure;
use crate::input;
use crate::log_group;
use crate::validate::Problems;

pub const FILE: &str = "cruddur-obs.toml";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Host {
    Gitpod,
    Codespaces,
    Local,
}

impl Host {
    /// The host this process runs on, when its variables say so.
    pub fn detect() -> Option<Host> {
        let set = |name: &str| std::env::var(name).is_ok_and(|v| !v.is_empty());
        if set("GITPOD_WORKSPACE_ID") {
            Some(Host::Gitpod)
        } else if set("CODESPACES") || set("CODESPACE_NAME") {
            Some(Host::Codespaces)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Host::Gitpod => "gitpod",
            Host::Codespaces => "codespaces",
            Host::Local => "local",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub version: u32,
    pub workspace: Workspace,
    pub honeycomb: Honeycomb,
    pub xray: Xray,
    pub cloudwatch: Cloudwatch,
    pub rollbar: Rollbar,
    pub frontend: Frontend,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// The backend's service name: OTEL_SERVICE_NAME, the X-Ray segment name, the rule's ServiceName.
    pub service: String,
    pub host: Host,
    pub region: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Honeycomb {
    pub enabled: bool,
    /// The Honeycomb environment the data must land in.
    pub environment: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Xray {
    pub enabled: bool,
    pub group: String,
    pub sampling_rule: String,
    pub fixed_rate: f64,
    pub reservoir_size: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cloudwatch {
    pub enabled: bool,
    pub log_group: String,
    pub retention_days: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollbar {
    pub enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Frontend {
    /// Trace the React frontend: src/tracing.js, and an OpenTelemetry Collector that adds the
    /// Honeycomb key, which so stays out of the browser.
    pub collector: bool,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            version: 1,
            workspace: Workspace {
                service: "backend-flask".into(),
                host: Host::Local,
                region: "us-east-1".into(),
            },
            honeycomb: Honeycomb {
                enabled: true,
                environment: "bootcamp".into(),
            },
            xray: Xray {
                enabled: true,
                group: "Cruddur".into(),
                sampling_rule: "Cruddur".into(),
                fixed_rate: 0.1,
                reservoir_size: 5,
            },
            cloudwatch: Cloudwatch {
                enabled: true,
                log_group: "cruddur".into(),
                retention_days: 7,
            },
            rollbar: Rollbar { enabled: true },
            frontend: Frontend { collector: false },
        }
    }
}

impl Manifest {
    /// Reads `DIR/cruddur-obs.toml`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Manifest>, Failure> {
        let path = dir.join(FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                return Err(Failure::bad_input(format!(
                    "cannot read {}: {e}",
                    path.display()
                )))
            }
        };
        let origin = path.display().to_string();
        let manifest: Manifest = toml::from_str(&text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|s| line_column(&text, s.start))
                .unwrap_or((1, 1));
            input::explain_message(&format!("{origin}:{line}:{column}"), "", e.message())
        })?;
        manifest.validate().into_result(&origin)?;
        Ok(Some(manifest))
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("the manifest serializes");
        format!(
            "# cruddur-obs workspace manifest: the answers given to `cruddur-obs init`.\n\
             # `cruddur-obs env`, `doctor` and `up` read it. Edit it, then run `cruddur-obs init --force`\n\
             # to write the files again from it.\n\n{body}"
        )
    }

    pub fn validate(&self) -> Problems {
        let mut p = Problems::new();
        p.one_of("version", &self.version, &[1]);
        let service = &self.workspace.service;
        p.length("workspace.service", service, 1, 64);
        if !service
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            p.push(
                "workspace.service",
                format!("\"{service}\" has characters a service name should not"),
                "letters, digits, - _ and .",
            );
        }
        if let Err(e) = check_region("workspace.region", &self.workspace.region) {
            let hint = e.hint.unwrap_or_default();
            p.push(
                "workspace.region",
                format!("\"{}\" is not an AWS region", self.workspace.region),
                format!("an AWS region; {hint}"),
            );
        }
        p.length("honeycomb.environment", &self.honeycomb.environment, 1, 80);
        crate::group::validate_name("xray.group", &self.xray.group, &mut p);
        p.length("xray.sampling_rule", &self.xray.sampling_rule, 1, 32);
        if self.xray.sampling_rule == crate::sampling_rule::DEFAULT_RULE {
            p.push(
                "xray.sampling_rule",
                "\"Default\" is X-Ray's built-in rule",
                "any other name, for example Cruddur",
            );
        }
        p.float_range("xray.fixed_rate", self.xray.fixed_rate, 0.0, 1.0);
        p.int_range(
            "xray.reservoir_size",
            self.xray.reservoir_size.into(),
            0,
            None,
        );
        log_group::validate_name("cloudwatch.log_group", &self.cloudwatch.log_group, &mut p);
        log_group::validate_retention(
            "cloudwatch.retention_days",
            self.cloudwatch.retention_days,
            &mut p,
        );
        if self.frontend.collector && !self.honeycomb.enabled {
            p.push(
                "frontend.collector",
                "needs honeycomb.enabled: the collector forwards to Honeycomb",
                "false, or turn Honeycomb on",
            );
        }
        p
    }
}

/// 1-based line and column of a byte offset (one inside a character counts as that character).
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_round_trips_and_is_valid() {
        let m = Manifest::default();
        assert!(m.validate().is_empty());
        let text = m.to_toml();
        let back: Manifest = toml::from_str(&text).unwrap();
        assert_eq!(back, m);
        assert!(
            text.contains("[xray]\nenabled = true\ngroup = \"Cruddur\""),
            "{text}"
        );
    }

    #[test]
    fn bad_manifest_names_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let text = Manifest::default()
            .to_toml()
            .replace("fixed_rate = 0.1", "fixed_rat = 0.1");
        std::fs::write(dir.path().join(FILE), text).unwrap();
        let e = Manifest::load(dir.path()).unwrap_err();
        assert!(e.message.contains("cruddur-obs.toml:"), "{}", e.message);
        assert!(
            e.message
                .contains("unknown field \"fixed_rat\"; did you mean \"fixed_rate\"?"),
            "{}",
            e.message
        );

        let text = Manifest::default()
            .to_toml()
            .replace("retention_days = 7", "retention_days = 10");
        std::fs::write(dir.path().join(FILE), text).unwrap();
        let e = Manifest::load(dir.path()).unwrap_err();
        assert!(
            e.message
                .contains("cloudwatch.retention_days: 10 is not a retention period"),
            "{}",
            e.message
        );
    }
}

#[cfg(test)]
mod prop {
    use proptest::prelude::*;
    // The module of strategies, named plainly: `super::*` also brings this module's own name.
    use proptest::prelude::prop;

    use super::*;

    /// Cases per property: PROPTEST_CASES when set, else 12,000 (10 properties: 120,000 in all).
    fn config() -> ProptestConfig {
        crate::proptest_config(12_000)
    }

    /// A TOML value: strings with any characters (quoted, escaped or raw), numbers, booleans.
    fn toml_value() -> impl Strategy<Value = String> {
        prop_oneof![
            any::<String>().prop_map(|s| serde_json::to_string(&s).unwrap()),
            "[a-z\u{e9}\u{f1}\u{1f600}-]{0,12}".prop_map(|s| format!("\"{s}\"")),
            ".{0,20}",
            any::<i64>().prop_map(|n| n.to_string()),
            any::<f64>().prop_map(|n| format!("{n:?}")),
            Just("true".to_string()),
            Just("nan".to_string()),
            Just("[]".to_string()),
        ]
    }

    /// Manifest text: anything, TOML-ish lines, and the default manifest with one value
    /// replaced or one character put in, taken out, or the text cut there.
    fn text() -> impl Strategy<Value = String> {
        let default = Manifest::default().to_toml();
        let lines: Vec<String> = default.lines().map(str::to_string).collect();
        let replaced =
            (prop::sample::select(lines.clone()), toml_value()).prop_map(move |(line, value)| {
                match line.split_once(" = ") {
                    Some((key, _)) => lines
                        .iter()
                        .map(|l| {
                            if *l == line {
                                format!("{key} = {value}")
                            } else {
                                l.clone()
                            }
                        })
                        .collect::<Vec<_>>()
                        .join("\n"),
                    None => lines.join("\n"),
                }
            });
        let default_chars: Vec<char> = default.chars().collect();
        let edited = (
            any::<prop::sample::Index>(),
            prop_oneof![Just(None), any::<char>().prop_map(Some)],
            any::<bool>(),
        )
            .prop_map(move |(at, put, cut)| {
                let mut chars = default_chars.clone();
                let i = at.index(chars.len());
                match put {
                    Some(c) => chars.insert(i, c),
                    None if cut => chars.truncate(i),
                    None => {
                        chars.remove(i);
                    }
                }
                chars.into_iter().collect::<String>()
            });
        prop_oneof![
            any::<String>(),
            "(\\[[a-z\u{e9}.]{0,12}\\]\n|[a-z_\u{f1}]{0,14} ?= ?.{0,20}\n){0,8}",
            replaced,
            edited,
        ]
    }

    /// One folder for every case: a manifest file written over and over is much cheaper than a
    /// new folder each time.
    #[test]
    fn manifest_text_never_panics() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(FILE);
        let origin = path.display().to_string();
        let mut runner = proptest::test_runner::TestRunner::new(config());
        let result = runner.run(&text(), |text| {
            // Removed first: ext4 flushes a file truncated and written again, which is slow.
            let _ = std::fs::remove_file(&path);
            std::fs::write(&path, &text).unwrap();
            match Manifest::load(dir.path()) {
                Ok(manifest) => prop_assert!(manifest.is_some()),
                Err(f) => {
                    // Parse errors start with the file, validation errors list it per field.
                    prop_assert!(f.message.contains(&origin), "{}", f.message);
                    prop_assert!(f.message.len() > origin.len() + 2, "{}", f.message);
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            panic!("{e}");
        }
    }

    proptest! {
        #![proptest_config(config())]

        #[test]
        fn line_column_never_panics(text in ".{0,30}", offset in 0usize..200) {
            let (line, column) = line_column(&text, offset);
            prop_assert!(line >= 1 && column >= 1);
            prop_assert!(line <= text.lines().count() + 1);
        }
    }
}
