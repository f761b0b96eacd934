/// Project codes and indicator keys: `[a-z0-9_-]{1,64}`, so they are safe in
/// URLs and file names without escaping.
pub fn is_slug(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// A code for a project created without one.
pub fn new_code() -> String {
    let id = uuid::Uuid::new_v4().simple().to_string();
    format!("p-{}", &id[..12])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_accept_lowercase_digits_dash_and_underscore() {
        assert!(is_slug("air_quality-2"));
        assert!(is_slug(&"a".repeat(64)));
    }

    #[test]
    fn slugs_refuse_empty_long_upper_and_spaces() {
        for bad in ["", "Air", "a b", "é", &"a".repeat(65)] {
            assert!(!is_slug(bad), "{bad:?}");
        }
    }

    #[test]
    fn generated_codes_are_slugs() {
        assert!(is_slug(&new_code()));
    }
}
