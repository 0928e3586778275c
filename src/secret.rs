//! Secrets are never printed whole: at most their first and last few characters.

/// `hcaik_01ab…wxyz` for long values, `****` for short ones (too short to show any of).
pub fn mask(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 12 {
        return "*".repeat(chars.len().clamp(4, 8));
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}…{tail}")
}

/// `text` with every occurrence of `secret` masked: services echo keys back in their errors.
pub fn redact(text: &str, secret: &str) -> String {
    if secret.len() < 4 {
        return text.to_string();
    }
    text.replace(secret, &mask(secret))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_shows_the_middle() {
        let fake_key = "hcaik_01j9zx0ztvc8t7qgqd4qvbpm3e4ym1h5v9ypq2kbd6qfhe7q2qg5a8y0wk";
        assert_eq!(mask(fake_key), "hcai…y0wk");
        assert_eq!(mask("short"), "*****");
        assert_eq!(mask(""), "****");
        assert_eq!(
            redact(
                "access token not found: 0123456789abcdef",
                "0123456789abcdef"
            ),
            "access token not found: 0123…cdef"
        );
    }
}
