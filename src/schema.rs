//! JSON Schemas of check files and of `.shipgate.yaml`, derived from the very types the loader
//! deserializes (`schemars` follows their serde attributes and doc comments), so editors validate
//! and complete what shipgate accepts. The newtypes that parse on load describe themselves here.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::config::raw::{RawCheck, RawProject};

/// A newtype that describes itself in YAML with `schema` (a `json_schema!` value), inlined
/// under `name`.
macro_rules! inline_schema {
    ($t:ty, $name:literal, $schema:expr) => {
        impl JsonSchema for $t {
            fn inline_schema() -> bool {
                true
            }
            fn schema_name() -> Cow<'static, str> {
                $name.into()
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                $schema
            }
        }
    };
}

/// Newtypes that are a string in YAML.
macro_rules! string_schema {
    ($t:ty, $name:literal, $desc:literal) => {
        inline_schema!($t, $name, json_schema!({"type": "string", "description": $desc}));
    };
}

/// Newtypes that are a list of strings in YAML.
macro_rules! strings_schema {
    ($t:ty, $name:literal, $desc:literal) => {
        inline_schema!(
            $t,
            $name,
            json_schema!({"type": "array", "items": {"type": "string"}, "description": $desc})
        );
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
/// A calendar date: a month 01–12 and a day 01–31 (the `date` format also rejects 02-30).
const DATE: &str = "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])";
/// A wall-clock time as `Clock` reads it: `9:00`, `09:00`, `23:59`, `24:00`.
const TIME: &str = "(([01]?[0-9]|2[0-3]):[0-5]?[0-9]|24:00)";

/// Newtypes that are a string matching a pattern in YAML.
macro_rules! pattern_schema {
    ($t:ty, $name:literal, $desc:literal, $pattern:expr) => {
        inline_schema!(
            $t,
            $name,
            json_schema!({"type": "string", "description": $desc, "pattern": $pattern})
        );
    };
}

inline_schema!(
    crate::types::Day,
    "Date",
    json_schema!({
        "type": "string",
        "description": "A date, YYYY-MM-DD.",
        "pattern": format!("^{DATE}$"),
        "format": "date",
    })
);
pattern_schema!(
    crate::kinds::deploy_window::Clock,
    "LocalTime",
    "A local time HH:MM (24:00 is the end of the day).",
    format!("^\\s*{TIME}\\s*$")
);
pattern_schema!(
    crate::kinds::deploy_window::Moment,
    "DateOrDateTime",
    "YYYY-MM-DD, or a local date-time YYYY-MM-DDTHH:MM.",
    format!("^\\s*{DATE}([T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?)?\\s*$")
);

inline_schema!(
    crate::kinds::deploy_window::Zone,
    "TimeZone",
    json_schema!({
        "type": "string",
        "description": "An IANA time zone name, e.g. Europe/Berlin (the tz database shipgate bundles).",
        "enum": time_zones(),
    })
);

/// The names of the bundled tz database, sorted.
fn time_zones() -> Vec<String> {
    let mut names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_string())
        .collect();
    names.sort();
    names
}

inline_schema!(
    crate::kinds::deploy_window::WeekDay,
    "WeekDay",
    json_schema!({
        "type": "string",
        "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    })
);

inline_schema!(
    crate::types::ByteSize,
    "Size",
    json_schema!({
        "description": "A size: a number of bytes, or e.g. 2MiB, 500KB, 1 GiB.",
        "anyOf": [{"type": "integer", "minimum": 0}, {"type": "string", "pattern": "^\\s*[0-9.]+\\s*([KMG]i?B?|B)?\\s*$"}]
    })
);

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
    s["properties"]["id"]["pattern"] = ID_PATTERN.into();
    s
}

/// A check id as the loader accepts it (`config::is_kebab_case`).
const ID_PATTERN: &str = "^[a-z0-9]+(-[a-z0-9]+)*$";

/// The checks a configuration schema knows: their ids and kinds, and whether they are all of
/// them (the project's own check files could all be read), or custom ids may exist beyond them.
pub struct KnownChecks {
    pub checks: Vec<(String, &'static str)>,
    pub complete: bool,
}

/// The schema of `.shipgate.yaml`, as strict as JSON Schema can say it: dates, times and time
/// zones as the loader reads them, `checks:` keys and waivers' `check` among the known ids (plus
/// any kebab-case id when `known` is not complete), and each known check's `params` the
/// parameters of its kind (every one optional, unknown ones rejected).
pub fn config_schema(known: &KnownChecks) -> serde_json::Value {
    use serde_json::{json, Value};
    let mut s = schemars::schema_for!(RawProject).to_value();
    s["title"] = "shipgate configuration (.shipgate.yaml)".into();
    let check = check_schema();
    // The kinds' parameter types, from the check schema: `Params-<kind>` is the kind's own
    // definition with nothing required (a change replaces parameters key by key).
    let mut defs = s["$defs"].as_object().cloned().unwrap_or_default();
    for (name, def) in check["$defs"].as_object().into_iter().flatten() {
        defs.entry(name.clone()).or_insert_with(|| def.clone());
    }
    let mut properties = serde_json::Map::new();
    for (id, kind) in &known.checks {
        let params = kind_definition(&check, kind).map(|mut d| {
            if let Some(o) = d.as_object_mut() {
                o.remove("required");
            }
            d
        });
        let change = match params {
            Some(p) => {
                let name = format!("Params-{kind}");
                defs.insert(name.clone(), p);
                json!({
                    "allOf": [{"$ref": "#/$defs/RawChange"}],
                    "properties": {"params": {"anyOf": [{"$ref": format!("#/$defs/{name}")}, {"type": "null"}]}},
                })
            }
            None => json!({"$ref": "#/$defs/RawChange"}),
        };
        properties.insert(id.clone(), change);
    }
    let ids: Vec<Value> = known.checks.iter().map(|(id, _)| json!(id)).collect();
    let id_schema = if known.complete {
        json!({"enum": ids})
    } else {
        json!({"anyOf": [{"enum": ids}, {"type": "string", "pattern": ID_PATTERN}]})
    };
    s["$defs"] = Value::Object(defs);
    s["properties"]["checks"] = json!({
        "description": "Per-check changes, by check id.",
        "type": "object",
        "propertyNames": id_schema,
        "properties": properties,
        "additionalProperties": {"$ref": "#/$defs/RawChange"},
    });
    s["$defs"]["RawWaiver"]["properties"]["check"] = id_schema;
    s["$defs"]["RawSettings"]["properties"]["timezone"] = json!({
        "anyOf": [{"type": "string", "enum": time_zones()}, {"type": "null"}],
        "description": "IANA time zone for deploy windows and the report's time (default: the machine's).",
    });
    s
}

/// The definition of kind `key`'s parameters in the check schema.
fn kind_definition(check: &serde_json::Value, key: &str) -> Option<serde_json::Value> {
    let prop = &check["properties"][key];
    let reference = prop["$ref"].as_str().or_else(|| {
        prop["anyOf"]
            .as_array()?
            .iter()
            .find_map(|v| v["$ref"].as_str())
    })?;
    let name = reference.strip_prefix("#/$defs/")?;
    check["$defs"].get(name).cloned()
}
