//! `signoff:` in `.shipgate.yaml`: what a release sign-off must be. Its own section, so the
//! settings of the gate and those of the sign-off stay apart.

use crate::error::ConfigError;

use super::raw::RawSignoff;
use super::{find_line, PROJECT_FILE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignoffSettings {
    /// Unsigned records may be made (when no signing key is configured) and are accepted.
    pub allow_unsigned: bool,
    /// The allowed-signers file named in `.shipgate.yaml`, relative to the repository root.
    pub allowed_signers: Option<String>,
    /// Authors and committers of the released range do not sign it off.
    pub four_eyes: bool,
    /// Distinct signers a record needs.
    pub required_signers: u32,
}

impl Default for SignoffSettings {
    fn default() -> Self {
        SignoffSettings {
            allow_unsigned: false,
            allowed_signers: None,
            four_eyes: true,
            required_signers: 1,
        }
    }
}

impl SignoffSettings {
    pub fn from_raw(raw: &RawSignoff, text: Option<&str>, errors: &mut Vec<ConfigError>) -> Self {
        let mut out = SignoffSettings {
            allow_unsigned: raw.allow_unsigned.unwrap_or(false),
            allowed_signers: raw.allowed_signers.clone(),
            four_eyes: raw.four_eyes.unwrap_or(true),
            required_signers: raw.required_signers.unwrap_or(1),
        };
        if out.required_signers == 0 {
            errors.push(
                ConfigError::new(PROJECT_FILE, "signoff.required-signers is 0")
                    .at(find_line(text, "required-signers:"), None)
                    .help("a sign-off needs at least one signer: use 1 (the default) or more"),
            );
            out.required_signers = 1;
        }
        if let Some(p) = &out.allowed_signers {
            if p.trim().is_empty() || std::path::Path::new(p).is_absolute() {
                errors.push(
                    ConfigError::new(
                        PROJECT_FILE,
                        format!("signoff.allowed-signers `{p}` is not a path in the repository"),
                    )
                    .at(find_line(text, "allowed-signers:"), None)
                    .help("name a file committed to the repository, relative to its root, e.g. `.shipgate/allowed_signers`"),
                );
                out.allowed_signers = None;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> (SignoffSettings, Vec<ConfigError>) {
        let mut errors = Vec::new();
        let raw: super::super::raw::RawProject = yaml_serde::from_str(yaml).unwrap();
        let s = SignoffSettings::from_raw(&raw.signoff, Some(yaml), &mut errors);
        (s, errors)
    }

    #[test]
    fn defaults_four_eyes_one_signer_no_unsigned_records() {
        let (s, errors) = load("builtins: true\n");
        assert!(errors.is_empty());
        assert_eq!(s, SignoffSettings::default());
        assert!(s.four_eyes && !s.allow_unsigned && s.required_signers == 1);
        let (s, errors) = load("signoff:\n  four-eyes: false\n  required-signers: 2\n  allowed-signers: .shipgate/allowed_signers\n");
        assert!(errors.is_empty());
        assert!(!s.four_eyes && s.required_signers == 2);
        assert_eq!(
            s.allowed_signers.as_deref(),
            Some(".shipgate/allowed_signers")
        );
    }

    #[test]
    fn zero_signers_and_paths_outside_the_repository_are_errors() {
        let (_, errors) = load("signoff:\n  required-signers: 0\n  allowed-signers: /etc/x\n");
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].line, Some(2));
        assert!(errors[1].to_string().contains("relative to its root"));
    }
}
