//! The embedded files of the dashboard. Adding a file under `assets/`
//! means adding its name to `FILES`.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

pub struct Asset {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
    /// Hash of the bytes, the same on every server with the same build.
    pub etag: String,
}

macro_rules! embed {
    ($($name:literal),* $(,)?) => {
        [$(($name, include_bytes!(concat!("assets/", $name)).as_slice())),*]
    };
}

const FILES: [(&str, &[u8]); 20] = embed![
    "index.html",
    "app.css",
    "js/main.js",
    "js/api.js",
    "js/dom.js",
    "js/i18n.js",
    "js/format.js",
    "js/charts.js",
    "js/live.js",
    "js/overview.js",
    "js/project.js",
    "js/editor.js",
    "js/form.js",
    "js/intervals.js",
    "js/sources.js",
    "js/alerts.js",
    "js/signin.js",
    "vendor/uPlot.esm.js",
    "vendor/uPlot.min.css",
    "vendor/uPlot.LICENSE",
];

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|&(name, bytes)| Asset {
            name,
            content_type: content_type(name),
            bytes,
            etag: hex::encode(&Sha256::digest(bytes)[..12]),
        })
        .collect()
});

pub fn find(name: &str) -> Option<&'static Asset> {
    ASSETS.iter().find(|a| a.name == name)
}

fn content_type(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        _ => "text/plain; charset=utf-8",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The label keys of one dictionary of `i18n.js` (`const NAME = {…};`).
    fn labels(source: &str, name: &str) -> Vec<String> {
        let start = source.find(&format!("const {name} = {{")).expect("dictionary") + name.len() + 10;
        let body = &source[start..start + source[start..].find("};").expect("dictionary end")];
        let mut keys: Vec<String> = body
            .split(['\n', ','])
            .filter_map(|entry| entry.split_once(':'))
            .map(|(key, _)| key.trim().to_string())
            .filter(|key| !key.is_empty())
            .collect();
        keys.sort();
        keys
    }

    #[test]
    fn every_english_label_has_a_chinese_one() {
        let source = std::str::from_utf8(find("js/i18n.js").expect("i18n.js").bytes).expect("UTF-8");
        let english = labels(source, "en");
        assert!(english.len() > 50, "{english:?}");
        assert_eq!(english, labels(source, "zh"));
    }

    #[test]
    fn embedded_files_have_their_types_and_tags() {
        assert_eq!(find("index.html").unwrap().content_type, "text/html; charset=utf-8");
        assert_eq!(find("vendor/uPlot.min.css").unwrap().content_type, "text/css; charset=utf-8");
        assert!(ASSETS.iter().all(|a| !a.bytes.is_empty() && a.etag.len() == 24), "an empty or untagged file");
        assert!(find("../Cargo.toml").is_none());
    }
}
