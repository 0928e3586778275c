//! Every mistake of the hand-wired Cruddur setup (tests/fixtures/mistakes.json), each applied to a
//! hand-wired workspace that has none (tests/fixtures/handwired/): doctor names it with its fix,
//! and reports nothing else that the mistake does not explain.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use serde::Deserialize;

use crate::doctor::{results, Services, FAKE_KEY};
use crate::support::{aws_cli, cruddur, post, repo, stderr_of};

#[derive(Deserialize, Debug)]
struct Entry {
    id: String,
    mistake: u32,
    #[serde(default)]
    patches: Vec<Patch>,
    #[serde(default)]
    write: BTreeMap<String, String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    #[serde(default)]
    unset: Vec<String>,
    expect: Vec<Expect>,
    #[serde(default)]
    also: Vec<Expect>,
    #[serde(default)]
    args: Vec<String>,
    #[allow(dead_code)]
    about: String,
}

#[derive(Deserialize, Debug)]
struct Patch {
    file: String,
    find: String,
    replace: String,
}

#[derive(Deserialize, Debug, Clone)]
struct Expect {
    check: String,
    status: String,
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// Variables the entries use to set the stage, never passed to doctor.
const STAGE: &[&str] = &[
    "CRUDDUR_TEST_HONEYCOMB_KEY_ENVIRONMENT",
    "CRUDDUR_TEST_GP_ENV",
    "CRUDDUR_TEST_LOG_GROUP_RETENTION",
];

/// Runs doctor on the base with `entry` applied; returns name -> (status, finding, fix).
fn diagnose(s: &Services, entry: Option<&Entry>) -> BTreeMap<String, (String, String, String)> {
    post(&format!("{}/_fake/reset", s.xray.url()), "");
    post(&format!("{}/_fake/reset", s.rx.http), "");
    post(&format!("{}/moto-api/reset", s.moto.url()), "");
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("tests/fixtures/handwired"), dir.path());
    let mut env: BTreeMap<String, String> = s.env().into_iter().collect();
    for (k, v) in crate::support::TEST_ENV {
        env.insert(k.to_string(), v.to_string());
    }
    let mut args: Vec<String> = vec!["--json".into()];
    if let Some(e) = entry {
        for p in &e.patches {
            let path = dir.path().join(&p.file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {}: {err}", e.id, p.file));
            assert_eq!(
                text.matches(&p.find).count(),
                1,
                "{}: the patch's text occurs once in {}",
                e.id,
                p.file
            );
            std::fs::write(&path, text.replace(&p.find, &p.replace)).unwrap();
        }
        for (path, contents) in &e.write {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, contents).unwrap();
        }
        env.extend(e.env.clone());
        for name in &e.unset {
            env.remove(name);
        }
        args.extend(e.args.clone());
    }
    let environment = env
        .get("CRUDDUR_TEST_HONEYCOMB_KEY_ENVIRONMENT")
        .cloned()
        .unwrap_or_else(|| "bootcamp".into());
    s.rx.honeycomb_key(FAKE_KEY, "ingest", &environment);
    let bin = tempfile::tempdir().unwrap();
    if let Some(line) = env.get("CRUDDUR_TEST_GP_ENV") {
        let gp = bin.path().join("gp");
        std::fs::write(
            &gp,
            format!("#!/bin/sh\n[ \"$1\" = env ] && echo '{line}'\n"),
        )
        .unwrap();
        std::fs::set_permissions(&gp, std::fs::Permissions::from_mode(0o755)).unwrap();
        env.insert(
            "PATH".into(),
            format!(
                "{}:{}",
                bin.path().display(),
                std::env::var("PATH").unwrap()
            ),
        );
    }

    // AWS as the workspace declares it, created with cruddur-obs (an invalid input stays uncreated).
    let mut log = vec!["logs", "create-log-group", "--log-group-name", "cruddur"];
    if env
        .get("CRUDDUR_TEST_LOG_GROUP_RETENTION")
        .map(String::as_str)
        != Some("none")
    {
        log.extend(["--retention-in-days", "7"]);
    }
    let out = cruddur()
        .current_dir(dir.path())
        .args(&log)
        .envs(s.env())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    // The X-Ray side as hand-wired users made it: with the aws cli, which takes what AWS takes.
    for (command, file) in [
        ("create-sampling-rule", "xray.json"),
        ("create-group", "xray-group.json"),
    ] {
        let out = aws_cli()
            .current_dir(dir.path())
            .args([
                "--endpoint-url",
                s.xray.url(),
                "xray",
                command,
                "--cli-input-json",
                &format!("file://aws/json/{file}"),
            ])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: aws xray {command}: {}",
            entry.map(|e| e.id.as_str()).unwrap_or("base"),
            stderr_of(&out)
        );
    }
    let env: Vec<(String, String)> = env
        .into_iter()
        .filter(|(k, _)| !STAGE.contains(&k.as_str()))
        .collect();
    let mut cmd = cruddur();
    for (name, _) in crate::support::TEST_ENV {
        cmd.env_remove(name);
    }
    let out = cmd
        .arg("doctor")
        .arg(dir.path())
        .args(&args)
        .envs(env)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "doctor failed to run: {}",
        stderr_of(&out)
    );
    results(&out)
}

fn problems(r: &BTreeMap<String, (String, String, String)>) -> Vec<String> {
    r.iter()
        .filter(|(_, (st, _, _))| st == "error" || st == "warn")
        .map(|(n, (st, f, _))| format!("{n} [{st}]: {f}"))
        .collect()
}

#[test]
fn doctor_names_every_known_mistake_with_its_fix() {
    let entries: Vec<Entry> = serde_json::from_str(
        &std::fs::read_to_string(repo().join("tests/fixtures/mistakes.json")).unwrap(),
    )
    .unwrap();
    let mut covered: Vec<u32> = entries.iter().map(|e| e.mistake).collect();
    covered.sort();
    covered.dedup();
    assert_eq!(
        covered,
        (1..=18).collect::<Vec<_>>(),
        "every mistake of cruddur-week2.md has a fixture"
    );

    let s = Services::start();
    let base = diagnose(&s, None);
    assert!(
        problems(&base).is_empty(),
        "the hand-wired base has no mistake, but doctor says:\n{}",
        problems(&base).join("\n")
    );
    assert!(
        base.values().filter(|(st, _, _)| st == "ok").count() >= 30,
        "{base:#?}"
    );

    let mut failures = Vec::new();
    for entry in &entries {
        let r = diagnose(&s, Some(entry));
        let wanted: Vec<Expect> = entry.expect.iter().chain(&entry.also).cloned().collect();
        for e in &wanted {
            match r.get(&e.check) {
                Some((status, _, fix)) if *status == e.status && !fix.is_empty() => {}
                other => failures.push(format!(
                    "{} (mistake {}): {} expected {}, got {:?}",
                    entry.id, entry.mistake, e.check, e.status, other
                )),
            }
        }
        let extra: Vec<String> = problems(&r)
            .into_iter()
            .filter(|p| {
                !wanted
                    .iter()
                    .any(|w| p.starts_with(&format!("{} [", w.check)))
            })
            .collect();
        if !extra.is_empty() {
            failures.push(format!(
                "{} (mistake {}): also reported {}",
                entry.id,
                entry.mistake,
                extra.join("; ")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problems:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
