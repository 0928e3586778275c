//! `cruddur-obs env TARGET [DIR]`: the variables the workspace needs, as lines for Gitpod, a
//! compose environment block, a .env file, or Codespaces settings. Secrets are shown masked;
//! only `--write` (a 0600 .env that git ignores) and `--apply` (gp env) use their real values.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::error::{Exit, Failure};
use crate::files;
use crate::manifest::Manifest;
use crate::scaffold;
use crate::secret::mask;
use crate::variables::{self, Value, Variable};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// `export` lines for this shell and `gp env` lines for new workspaces
    Gitpod,
    /// The backend's `environment:` block for docker-compose.yml
    Compose,
    /// A .env file (printed masked; --write writes the real one)
    Dotenv,
    /// devcontainer.json settings and Codespaces secrets
    Codespaces,
}

const EXAMPLES: &str = "Examples:
  cruddur-obs env gitpod                 # then paste the lines, or:
  cruddur-obs env gitpod --apply         # runs gp env for each variable
  cruddur-obs env dotenv --write         # writes .env (0600) and makes sure git ignores it
  cruddur-obs env compose

Values come from cruddur-obs.toml and this shell's environment. Secrets (keys, tokens) are
printed masked, or as references such as \"$HONEYCOMB_API_KEY\", never whole.";

#[derive(Args, Debug)]
#[command(after_help = EXAMPLES)]
pub struct EnvArgs {
    /// What to print the variables for
    #[arg(value_enum)]
    target: Target,
    /// The workspace folder (its cruddur-obs.toml is read)
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// gitpod: run `gp env NAME=VALUE` for each variable that has a value
    #[arg(long)]
    apply: bool,
    /// dotenv: write DIR/.env with the real values, readable by you only, and ignored by git
    #[arg(long)]
    write: bool,
    /// dotenv --write: replace an existing .env that differs (keeping a 0600 .env.bak copy)
    #[arg(long)]
    force: bool,
}

pub fn run(a: EnvArgs) -> Result<Exit, Failure> {
    if a.apply && a.target != Target::Gitpod {
        return Err(Failure::bad_input("--apply goes with the gitpod target")
            .hint("cruddur-obs env gitpod --apply"));
    }
    if a.write && a.target != Target::Dotenv {
        return Err(Failure::bad_input("--write goes with the dotenv target")
            .hint("cruddur-obs env dotenv --write"));
    }
    let manifest = match Manifest::load(&a.dir)? {
        Some(m) => m,
        None => {
            eprintln!(
                "note: no {} in {}: showing the variables of a default workspace (run cruddur-obs init first)",
                crate::manifest::FILE,
                a.dir.display()
            );
            Manifest::default()
        }
    };
    let vars = variables::for_manifest(&manifest);
    match a.target {
        Target::Gitpod if a.apply => apply_gitpod(&vars),
        Target::Gitpod => {
            print!("{}", gitpod_lines(&vars));
            Ok(Exit::Ok)
        }
        Target::Compose => {
            print!("{}", compose_block(&vars, &manifest.workspace.service));
            Ok(Exit::Ok)
        }
        Target::Dotenv if a.write => write_dotenv(&a.dir, &vars, a.force),
        Target::Dotenv => {
            print!("{}", dotenv_text(&vars, true));
            Ok(Exit::Ok)
        }
        Target::Codespaces => {
            print!("{}", codespaces_text(&vars));
            Ok(Exit::Ok)
        }
    }
}

/// A secret's state in a comment: masked when set.
fn secret_note(v: &Variable) -> String {
    match v.current() {
        Some(value) => format!("set in this shell ({})", mask(&value)),
        None => "NOT SET: replace the placeholder with yours".to_string(),
    }
}

fn placeholder(v: &Variable) -> String {
    format!("<your {}>", v.name.to_lowercase().replace('_', "-"))
}

fn gitpod_lines(vars: &[Variable]) -> String {
    let mut out = String::from(
        "# export sets a variable in this shell; gp env keeps it for new workspaces (it does not\n\
         # reach shells already open). Secrets are passed by reference, never printed.\n",
    );
    for v in vars {
        match &v.value {
            Value::Fixed(value) => {
                out.push_str(&format!(
                    "export {}=\"{value}\"\ngp env {}=\"{value}\"\n",
                    v.name, v.name
                ));
            }
            Value::Secret => {
                out.push_str(&format!("# {}: {}\n", v.name, secret_note(v)));
                if v.current().is_none() {
                    out.push_str(&format!("export {}=\"{}\"\n", v.name, placeholder(v)));
                }
                out.push_str(&format!("gp env {}=\"${}\"\n", v.name, v.name));
            }
            Value::Reference(template) => {
                // Built from other variables in the shell, so the secret inside is never printed.
                out.push_str(&format!("export {}=\"{template}\"\n", v.name));
                if !template.contains("GITPOD_WORKSPACE") {
                    out.push_str(&format!("gp env {}=\"{template}\"\n", v.name));
                }
            }
        }
    }
    out
}

/// The real value of a variable, resolving `${NAME}` references from this environment.
fn resolved(v: &Variable) -> Option<String> {
    match &v.value {
        Value::Fixed(value) => Some(value.clone()),
        Value::Secret => v.current(),
        Value::Reference(template) => {
            // Each ${NAME} of the template is replaced once, left to right: a value that itself
            // holds "${...}" is taken as it is, never expanded again.
            let mut out = String::new();
            let mut rest = template.as_str();
            while let Some((before, after)) = rest.split_once("${") {
                let (name, tail) = after.split_once('}')?;
                let value = std::env::var(name).ok().filter(|x| !x.is_empty())?;
                out.push_str(before);
                out.push_str(&value);
                rest = tail;
            }
            out.push_str(rest);
            Some(out)
        }
    }
}

fn apply_gitpod(vars: &[Variable]) -> Result<Exit, Failure> {
    let gp = which("gp").ok_or_else(|| {
        Failure::setup("gp is not on PATH: --apply works inside a Gitpod workspace")
            .hint("elsewhere, run `cruddur-obs env gitpod` and set the variables by hand")
    })?;
    let mut missing = Vec::new();
    for v in vars {
        if matches!(&v.value, Value::Reference(t) if t.contains("GITPOD_WORKSPACE")) {
            continue; // differs per workspace: set by the compose file and .gitpod.yml instead
        }
        let Some(value) = resolved(v) else {
            missing.push(v.name);
            continue;
        };
        let status = std::process::Command::new(&gp)
            .arg("env")
            .arg(format!("{}={value}", v.name))
            .stdout(std::process::Stdio::null())
            .status()
            .map_err(|e| Failure::failed(format!("cannot run gp: {e}")))?;
        if !status.success() {
            return Err(Failure::failed(format!(
                "gp env {} failed ({status})",
                v.name
            )));
        }
        let shown = if v.is_secret() || matches!(v.value, Value::Reference(_)) {
            mask(&value)
        } else {
            value
        };
        println!("gp env {}={shown}", v.name);
    }
    if missing.is_empty() {
        return Ok(Exit::Ok);
    }
    Err(Failure::setup(format!(
        "not set in this shell, so not saved: {}",
        missing.join(", ")
    ))
    .hint("export them first (cruddur-obs env gitpod shows how), then run --apply again"))
}

fn which(program: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| Path::new(dir).join(program))
        .find(|p| p.is_file())
}

fn compose_block(vars: &[Variable], service: &str) -> String {
    let mut out = format!("services:\n  {service}:\n    environment:\n");
    // The key only travels inside OTEL_EXPORTER_OTLP_HEADERS, as in the compose file init writes.
    for v in vars.iter().filter(|v| v.name != "HONEYCOMB_API_KEY") {
        let value = match &v.value {
            Value::Fixed(_) if v.name == "AWS_XRAY_DAEMON_ADDRESS" => {
                "xray-daemon:2000".to_string()
            }
            Value::Fixed(value) => value.clone(),
            Value::Secret => format!("${{{}}}", v.name),
            Value::Reference(template) => template.clone(),
        };
        out.push_str(&format!("      {}: \"{value}\"\n", v.name));
    }
    out
}

fn dotenv_text(vars: &[Variable], masked: bool) -> String {
    let mut out = String::new();
    if masked {
        out.push_str("# Secrets are masked here; `cruddur-obs env dotenv --write` writes the real values to .env.\n");
    }
    for v in vars {
        match (&v.value, resolved(v)) {
            (Value::Secret, Some(value)) if masked => {
                out.push_str(&format!("{}={}\n", v.name, mask(&value)))
            }
            (Value::Reference(_), Some(value)) if masked => {
                out.push_str(&format!("{}={}\n", v.name, mask(&value)))
            }
            (_, Some(value)) => out.push_str(&format!("{}={value}\n", v.name)),
            (_, None) => out.push_str(&format!(
                "# {} is not set in this shell: fill it in\n{}=\n",
                v.name, v.name
            )),
        }
    }
    out
}

fn write_dotenv(dir: &Path, vars: &[Variable], force: bool) -> Result<Exit, Failure> {
    let path = dir.join(".env");
    let contents = format!(
        "# Written by cruddur-obs env dotenv --write. Holds secrets: never commit it.\n{}",
        dotenv_text(vars, false)
    );
    let io = |e: std::io::Error| Failure::failed(format!("cannot write {}: {e}", path.display()));
    let verb = match std::fs::read(&path) {
        Ok(current) if current == contents.as_bytes() => "unchanged",
        Ok(_) if !force => {
            return Err(Failure::new(Exit::Drift, format!("{} already exists with other content; nothing was written", path.display()))
                .hint("re-run with --force to replace it (the old one is kept as .env.bak, readable by you only)"))
        }
        Ok(_) => {
            let backup = files::backup(&path).map_err(io)?;
            files::make_private(&backup).map_err(io)?;
            "replaced"
        }
        Err(_) => "created",
    };
    if verb != "unchanged" {
        files::write_atomic(&path, contents.as_bytes(), true).map_err(io)?;
    }
    files::make_private(&path).map_err(io)?;
    let ignore = scaffold::ensure_gitignored(dir).map_err(io)?;
    println!("{verb} {} (readable by you only)", path.display());
    if ignore {
        println!("added .env to {}", dir.join(".gitignore").display());
    }
    let unset: Vec<&str> = vars
        .iter()
        .filter(|v| resolved(v).is_none())
        .map(|v| v.name)
        .collect();
    if !unset.is_empty() {
        eprintln!(
            "note: not set in this shell, left empty in .env: {}",
            unset.join(", ")
        );
    }
    Ok(Exit::Ok)
}

fn codespaces_text(vars: &[Variable]) -> String {
    let mut out = String::from(
        "# 1. Store each secret as a Codespaces secret of this repository (gh asks for the value):\n",
    );
    for v in vars.iter().filter(|v| v.is_secret()) {
        let state = match v.current() {
            Some(value) => format!("set in this shell ({})", mask(&value)),
            None => "not set in this shell".into(),
        };
        out.push_str(&format!(
            "gh secret set {} --app codespaces   # {state}\n",
            v.name
        ));
    }
    out.push_str("\n# 2. .devcontainer/devcontainer.json passes the rest to the workspace (init writes it):\n\"remoteEnv\": {\n");
    let lines: Vec<String> = vars
        .iter()
        .filter(|v| !v.is_secret())
        .map(|v| {
            let value = match &v.value {
                Value::Fixed(value) => value.clone(),
                Value::Reference(t) => t.replace("${", "${containerEnv:"),
                Value::Secret => unreachable!("secrets are filtered out"),
            };
            format!("  \"{}\": \"{value}\"", v.name)
        })
        .collect();
    out.push_str(&lines.join(",\n"));
    out.push_str("\n}\n");
    out
}
