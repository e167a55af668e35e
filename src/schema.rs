//! JSON Schemas of check files and of `.shipgate.yaml`, derived from the very types the loader
//! deserializes (`schemars` follows their serde attributes and doc comments), so editors validate
//! and complete what shipgate accepts. The newtypes that parse on load describe themselves here.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::config::raw::{RawCheck, RawProject};

/// Newtypes that are a string in YAML.
macro_rules! string_schema {
    ($t:ty, $name:literal, $desc:literal) => {
        impl JsonSchema for $t {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "string", "description": $desc})
            }
        }
    };
}

/// Newtypes that are a list of strings in YAML.
macro_rules! strings_schema {
    ($t:ty, $name:literal, $desc:literal) => {
        impl JsonSchema for $t {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!({"type": "array", "items": {"type": "string"}, "description": $desc})
            }
        }
    };
}

string_schema!(
    crate::types::Pattern,
    "Regex",
    "A regular expression (Rust regex syntax, linear time; ^ and $ match at line boundaries)."
);
strings_schema!(
    crate::types::GlobList,
    "Globs",
    "Globs; a glob without `/` matches at any depth, `dir/` is everything under dir."
);
strings_schema!(
    crate::kinds::git_commits::IdentGlobs,
    "IdentityGlobs",
    "Globs over `Name <email>`, case-insensitive."
);
string_schema!(crate::types::Day, "Date", "A date, YYYY-MM-DD.");
string_schema!(
    crate::kinds::deploy_window::Zone,
    "TimeZone",
    "An IANA time zone name, e.g. Europe/Berlin."
);
string_schema!(
    crate::kinds::deploy_window::Clock,
    "LocalTime",
    "A local time HH:MM (24:00 is the end of the day)."
);
string_schema!(
    crate::kinds::deploy_window::Moment,
    "DateOrDateTime",
    "YYYY-MM-DD, or a local date-time YYYY-MM-DDTHH:MM."
);

impl JsonSchema for crate::kinds::deploy_window::WeekDay {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "WeekDay".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
        })
    }
}

impl JsonSchema for crate::types::ByteSize {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> Cow<'static, str> {
        "Size".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A size: a number of bytes, or e.g. 2MiB, 500KB, 1 GiB.",
            "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^\\s*[0-9.]+\\s*([KMG]i?B?|B)?\\s*$"}]
        })
    }
}

/// The schema of one check file.
pub fn check_schema() -> serde_json::Value {
    let mut s = schemars::schema_for!(RawCheck).to_value();
    s["title"] = "shipgate check".into();
    s["description"] = "One shipgate check: id, title, severity, and exactly one kind key.".into();
    // Exactly one kind key: say so, so editors flag a check with none or two.
    let kinds: Vec<serde_json::Value> = crate::kinds::KIND_KEYS
        .iter()
        .map(|k| serde_json::json!({"required": [k]}))
        .collect();
    s["oneOf"] = serde_json::Value::Array(kinds);
    s
}

/// The schema of `.shipgate.yaml`.
pub fn config_schema() -> serde_json::Value {
    let mut s = schemars::schema_for!(RawProject).to_value();
    s["title"] = "shipgate configuration (.shipgate.yaml)".into();
    s
}
