//! `requirements.txt`, read line by line as pip reads it: our tested pins are added where a
//! package is missing or unpinned, and a pin of the user's own is kept and reported.

use super::{lines_after, Edit, Style};

/// A tested pin: `flask==3.1.3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The normalized name (PEP 503: lowercase, runs of `-_.` as `-`).
    pub name: String,
    pub version: String,
    /// The line as written in our requirements (`flask==3.1.3`).
    pub line: String,
}

/// A requirement line of the user's that pins a package differently from us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub line: usize,
    pub theirs: String,
    pub ours: String,
}

/// PEP 503's normalized form of a project name.
pub fn normalize(name: &str) -> String {
    let mut out = String::new();
    let mut sep = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            sep = true;
            continue;
        }
        if sep && !out.is_empty() {
            out.push('-');
        }
        sep = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// One requirement line: the project name, where its version specifier goes, and the specifier.
struct Requirement<'a> {
    name: &'a str,
    /// Byte offset (in the line) just past the name and its extras.
    spec_at: usize,
    spec: &'a str,
}

fn parse_line(line: &str) -> Option<Requirement<'_>> {
    let code = line.split(" #").next().unwrap_or("");
    let code = code.split("\t#").next().unwrap_or("");
    let trimmed = code.trim_start();
    if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('-') {
        return None;
    }
    let lead = code.len() - trimmed.len();
    let name_len = trimmed
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .map_or(trimmed.len(), |(i, _)| i);
    if name_len == 0 || !trimmed.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let name = &trimmed[..name_len];
    let mut rest_at = lead + name_len;
    let rest = &code[rest_at..];
    if rest.trim_start().starts_with('[') {
        let close = rest.find(']')?;
        rest_at += close + 1;
    }
    let rest = &code[rest_at..];
    let spec = rest.split(';').next().unwrap_or("").trim();
    Some(Requirement {
        name,
        spec_at: rest_at,
        spec,
    })
}

/// Our pins from our own requirements file (the template, rendered).
pub fn pins(ours: &str) -> Vec<Pin> {
    ours.lines()
        .filter_map(|l| {
            let r = parse_line(l)?;
            let version = r.spec.strip_prefix("==")?.trim().to_string();
            Some(Pin {
                name: normalize(r.name),
                version,
                line: l.trim().to_string(),
            })
        })
        .collect()
}

/// The edits that bring `text` to our pins, and the pins of the user's own that differ.
pub fn plan(text: &str, pins: &[Pin]) -> (Vec<Edit>, Vec<Conflict>) {
    let style = Style::of(text, "");
    let mut edits = Vec::new();
    let mut conflicts = Vec::new();
    let mut seen = Vec::new();
    let mut offset = 0;
    for (i, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some(r) = parse_line(line) {
            let name = normalize(r.name);
            if let Some(pin) = pins.iter().find(|p| p.name == name) {
                seen.push(name.clone());
                if r.spec.is_empty() {
                    edits.push(Edit::insert(
                        offset + r.spec_at,
                        format!("=={}", pin.version),
                    ));
                } else if r.spec.replace(' ', "") != format!("=={}", pin.version) {
                    conflicts.push(Conflict {
                        line: i + 1,
                        theirs: line.trim().to_string(),
                        ours: pin.line.clone(),
                    });
                }
            }
        }
        offset += raw.len();
    }
    let missing: Vec<String> = pins
        .iter()
        .filter(|p| !seen.contains(&p.name))
        .map(|p| p.line.clone())
        .collect();
    if !missing.is_empty() {
        let mut lines = vec![
            "# Added by cruddur-obs init: versions tested together on Python 3.10 and 3.11"
                .to_string(),
        ];
        lines.extend(missing);
        let last = text.len().saturating_sub(1);
        let mut e = lines_after(text, last.min(text.len()), &lines, style.eol);
        if text.is_empty() {
            e = Edit::insert(
                0,
                lines
                    .iter()
                    .map(|l| format!("{l}{}", style.eol))
                    .collect::<String>(),
            );
        }
        edits.push(e);
    }
    (edits, conflicts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edit::apply;

    fn our_pins() -> Vec<Pin> {
        pins("# comment\nflask==3.1.3\nflask-cors==6.0.5\nrollbar==1.5.0\n")
    }

    #[test]
    fn unpinned_lines_get_pins_in_place_and_missing_ones_are_appended() {
        let text = "flask\nFlask_Cors";
        let (edits, conflicts) = plan(text, &our_pins());
        assert!(conflicts.is_empty());
        let out = apply(text, &edits);
        assert_eq!(out, "flask==3.1.3\nFlask_Cors==6.0.5\n# Added by cruddur-obs init: versions tested together on Python 3.10 and 3.11\nrollbar==1.5.0");
        let (again, _) = plan(&out, &our_pins());
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn their_pins_stay_and_are_reported() {
        let text = "flask>=2.2 # theirs\r\nflask-cors[x] ; python_version>'3'\r\n-r other.txt\r\nrollbar==1.5.0\r\n";
        let (edits, conflicts) = plan(text, &our_pins());
        assert_eq!(
            conflicts,
            vec![Conflict {
                line: 1,
                theirs: "flask>=2.2 # theirs".into(),
                ours: "flask==3.1.3".into()
            }]
        );
        assert_eq!(
            apply(text, &edits),
            "flask>=2.2 # theirs\r\nflask-cors[x]==6.0.5 ; python_version>'3'\r\n-r other.txt\r\nrollbar==1.5.0\r\n"
        );
    }

    #[test]
    fn names_normalize() {
        assert_eq!(normalize("Flask_Cors"), "flask-cors");
        assert_eq!(normalize("zope.interface"), "zope-interface");
    }
}
