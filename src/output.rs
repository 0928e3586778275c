//! How results are shown: text for people, or JSON shaped exactly as the aws cli prints it.

use serde::Serialize;

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Format {
    /// Plain sentences and tables for people
    #[default]
    Text,
    /// The response exactly as `aws ... --output json` prints it
    Json,
}

#[derive(clap::Args, Debug, Clone, Default)]
pub struct OutputArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = Format::Text, value_name = "FORMAT")]
    pub output: Format,
}

impl OutputArgs {
    pub fn json(&self) -> bool {
        self.output == Format::Json
    }
}

/// Prints JSON the way the aws cli does: four-space indentation.
pub fn print_json<T: Serialize>(value: &T) {
    println!("{}", to_json(value));
}

pub fn to_json<T: Serialize>(value: &T) -> String {
    let mut buf = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, formatter);
    // Serializing our own plain structs cannot fail.
    value.serialize(&mut ser).expect("serializable value");
    String::from_utf8(buf).expect("JSON is UTF-8")
}

/// Aligned columns with a header row.
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:w$}"))
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = vec![line(headers.to_vec())];
    out.extend(
        rows.iter()
            .map(|r| line(r.iter().map(String::as_str).collect())),
    );
    out.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_uses_four_spaces() {
        assert_eq!(
            to_json(&serde_json::json!({"a": [1]})),
            "{\n    \"a\": [\n        1\n    ]\n}"
        );
    }

    #[test]
    fn table_aligns() {
        let t = table(
            &["NAME", "RATE"],
            &[
                vec!["Cruddur".into(), "0.1".into()],
                vec!["Default".into(), "0.05".into()],
            ],
        );
        assert_eq!(t, "NAME     RATE\nCruddur  0.1\nDefault  0.05");
    }
}
