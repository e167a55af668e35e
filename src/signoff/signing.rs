//! Signatures on sign-off records, made and checked with the programs git uses for signed commits,
//! from git's own configuration: `gpg.format` (`ssh` or `openpgp`, git's default), `user.signingKey`
//! (an SSH key file or a literal `ssh-…`/`key::…` public key kept in ssh-agent; an OpenPGP key id),
//! `gpg.ssh.defaultKeyCommand`, `gpg.ssh.program` (default `ssh-keygen`), `gpg.openpgp.program` or
//! `gpg.program` (default `gpg`), and `gpg.ssh.allowedSignersFile`.
//!
//! SSH signatures are `sshsig` in the namespace `shipgate`, made by `ssh-keygen -Y sign` exactly as
//! git makes them: the same program works with ssh-agent, passphrase prompts and hardware keys, and
//! verification (`-Y verify` against an allowed-signers file) has OpenSSH's own semantics
//! (principals, namespaces, `valid-after`/`valid-before`, certificate authorities). OpenPGP
//! signatures are detached, armored, made by `gpg -bsau KEY` and checked by `gpg --verify` with its
//! status lines, as git does. Nothing here reads or prints a private key.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The namespace of shipgate's SSH signatures (git's own is `git`).
pub const NAMESPACE: &str = "shipgate";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Ssh,
    OpenPgp,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Ssh => "ssh",
            Format::OpenPgp => "openpgp",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "ssh" => Some(Format::Ssh),
            "openpgp" => Some(Format::OpenPgp),
            _ => None,
        }
    }
}

/// Where the signing key is.
#[derive(Debug, Clone)]
enum Key {
    /// An SSH key file (private, or public with the private key in ssh-agent).
    File(PathBuf),
    /// A literal SSH public key whose private key is in ssh-agent.
    Literal(String),
    /// An OpenPGP key id, fingerprint or user id.
    Id(String),
}

/// The signing set-up from git's configuration.
#[derive(Debug, Clone)]
pub struct SigningKey {
    pub format: Format,
    key: Key,
    program: String,
}

impl SigningKey {
    /// What the key is, for messages (a path or a key id; never key material).
    pub fn describe(&self) -> String {
        match &self.key {
            Key::File(p) => format!("SSH key {}", p.display()),
            Key::Literal(k) => format!(
                "SSH key {} (in ssh-agent)",
                k.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
            ),
            Key::Id(id) => format!("OpenPGP key {id}"),
        }
    }
}

/// A signature as made: the armored signature and the fingerprint of the key that made it.
#[derive(Debug, Clone)]
pub struct Made {
    pub key: String,
    pub signature: String,
}

/// Why a signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// The signature does not match the signed bytes: the record was changed after signing.
    Edited(String),
    /// The key is not one the verifier trusts (not in allowed signers, not in the keyring).
    UnknownKey(String),
    /// The key is trusted, but not for the signer the record names.
    SignerMismatch(String),
    /// Anything else the verifying program refused (expired, revoked, outside `valid-before`).
    Refused(String),
}

impl std::fmt::Display for Rejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rejected::Edited(m) => write!(f, "the record was edited after it was signed: {m}"),
            Rejected::UnknownKey(m) => write!(f, "unknown key: {m}"),
            Rejected::SignerMismatch(m) => write!(f, "signer mismatch: {m}"),
            Rejected::Refused(m) => write!(f, "the signature was refused: {m}"),
        }
    }
}

/// The email of `Name <email>` (a bare address is its own email).
pub fn email_of(ident: &str) -> Option<&str> {
    match (ident.find('<'), ident.rfind('>')) {
        (Some(a), Some(b)) if a < b => Some(ident[a + 1..b].trim()).filter(|e| !e.is_empty()),
        _ if ident.contains('@') && !ident.contains(char::is_whitespace) => Some(ident.trim()),
        _ => None,
    }
}

fn config_string(cfg: &git2::Config, name: &str) -> Option<String> {
    cfg.get_string(name).ok().filter(|s| !s.trim().is_empty())
}

/// A path from git's configuration, `~/` expanded as git does.
fn config_path(cfg: &git2::Config, name: &str) -> Option<PathBuf> {
    config_string(cfg, name)?;
    cfg.get_path(name).ok()
}

/// The signing key git's configuration names, or `None` when it names none.
pub fn signing_key(git: &git2::Repository) -> Result<Option<SigningKey>, String> {
    let cfg = git
        .config()
        .and_then(|mut c| c.snapshot())
        .map_err(|e| format!("cannot read git's configuration: {}", e.message()))?;
    let format = match config_string(&cfg, "gpg.format") {
        None => Format::OpenPgp,
        Some(f) => Format::parse(&f).ok_or_else(|| {
            format!("git's gpg.format is `{f}`: shipgate signs with `ssh` or `openpgp` (git config gpg.format ssh)")
        })?,
    };
    match format {
        Format::Ssh => {
            let program = config_string(&cfg, "gpg.ssh.program").unwrap_or("ssh-keygen".into());
            let key = match config_string(&cfg, "user.signingkey") {
                Some(k) if is_literal_ssh_key(&k) => Key::Literal(strip_key_prefix(&k)),
                Some(_) => Key::File(config_path(&cfg, "user.signingkey").unwrap_or_default()),
                None => match config_string(&cfg, "gpg.ssh.defaultkeycommand") {
                    Some(cmd) => Key::Literal(default_key(&cmd)?),
                    None => return Ok(None),
                },
            };
            Ok(Some(SigningKey {
                format,
                key,
                program,
            }))
        }
        Format::OpenPgp => {
            let Some(id) = config_string(&cfg, "user.signingkey") else {
                return Ok(None);
            };
            Ok(Some(SigningKey {
                format,
                key: Key::Id(id),
                program: gpg_program(&cfg),
            }))
        }
    }
}

fn gpg_program(cfg: &git2::Config) -> String {
    config_string(cfg, "gpg.openpgp.program")
        .or_else(|| config_string(cfg, "gpg.program"))
        .unwrap_or_else(|| "gpg".into())
}

fn is_literal_ssh_key(k: &str) -> bool {
    let k = k.trim();
    k.starts_with("key::")
        || k.starts_with("ssh-")
        || k.starts_with("ecdsa-")
        || k.starts_with("sk-")
}

fn strip_key_prefix(k: &str) -> String {
    k.trim().trim_start_matches("key::").trim().to_string()
}

/// The first line of `gpg.ssh.defaultKeyCommand`'s output: a public key in ssh-agent.
fn default_key(cmd: &str) -> Result<String, String> {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("git's gpg.ssh.defaultKeyCommand `{cmd}` could not run: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().next().filter(|l| out.status.success() && is_literal_ssh_key(l)) {
        Some(l) => Ok(strip_key_prefix(l)),
        None => Err(format!(
            "git's gpg.ssh.defaultKeyCommand `{cmd}` gave no public key: set user.signingKey instead"
        )),
    }
}

/// The verifying set-up: the programs and the SSH allowed-signers file.
#[derive(Debug, Clone)]
pub struct Verifier {
    pub ssh_program: String,
    pub gpg_program: String,
    /// The allowed-signers file and where it was named (for messages).
    pub allowed_signers: Option<(PathBuf, String)>,
}

impl Verifier {
    /// From git's configuration; `project_file` (from `.shipgate.yaml`, relative to `root`) wins
    /// over git's `gpg.ssh.allowedSignersFile`.
    pub fn new(git: Option<&git2::Repository>, root: &Path, project_file: Option<&str>) -> Self {
        let cfg = git.and_then(|g| g.config().and_then(|mut c| c.snapshot()).ok());
        let from_git = cfg.as_ref().and_then(|c| {
            config_path(c, "gpg.ssh.allowedsignersfile")
                .map(|p| (p, "git's gpg.ssh.allowedSignersFile".to_string()))
        });
        Verifier {
            ssh_program: cfg
                .as_ref()
                .and_then(|c| config_string(c, "gpg.ssh.program"))
                .unwrap_or_else(|| "ssh-keygen".into()),
            gpg_program: cfg.as_ref().map_or_else(|| "gpg".into(), gpg_program),
            allowed_signers: match project_file {
                Some(p) => Some((
                    root.join(p),
                    format!("signoff.allowed-signers in .shipgate.yaml ({p})"),
                )),
                None => from_git,
            },
        }
    }
}

/// Runs `program args` with `stdin` (a file) and returns (success, stdout, stderr).
fn run(
    program: &str,
    args: &[&std::ffi::OsStr],
    stdin: Option<&Path>,
    root: &Path,
) -> Result<(bool, String, String), String> {
    let mut cmd = Command::new(program);
    cmd.args(args).current_dir(root);
    cmd.stdin(match stdin {
        Some(p) => std::fs::File::open(p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .into(),
        None => Stdio::null(),
    });
    let out = cmd.output().map_err(|e| {
        format!("cannot run `{program}`: {e} (install it, or point git's gpg.ssh.program / gpg.program at it)")
    })?;
    Ok((
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    ))
}

fn temp_dir() -> Result<tempfile::TempDir, String> {
    tempfile::tempdir().map_err(|e| format!("cannot make a temporary folder: {e}"))
}

fn write_file(path: &Path, data: &[u8]) -> Result<(), String> {
    std::fs::File::create(path)
        .and_then(|mut f| f.write_all(data))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// Signs `payload` with the configured key.
pub fn sign(key: &SigningKey, root: &Path, payload: &[u8]) -> Result<Made, String> {
    let dir = temp_dir()?;
    let data = dir.path().join("record");
    write_file(&data, payload)?;
    match &key.key {
        Key::Id(id) => sign_openpgp(&key.program, id, &data, root),
        Key::File(_) | Key::Literal(_) => {
            let (file, agent) = match &key.key {
                Key::File(p) => (p.clone(), false),
                Key::Literal(k) => {
                    let p = dir.path().join("key.pub");
                    write_file(&p, format!("{k}\n").as_bytes())?;
                    (p, true)
                }
                Key::Id(_) => unreachable!("handled above"),
            };
            let mut args: Vec<&std::ffi::OsStr> = vec![
                "-Y".as_ref(),
                "sign".as_ref(),
                "-n".as_ref(),
                NAMESPACE.as_ref(),
            ];
            args.extend(["-f".as_ref(), file.as_os_str()]);
            if agent {
                args.push("-U".as_ref());
            }
            args.push(data.as_os_str());
            let (ok, _, err) = run(&key.program, &args, None, root)?;
            let sig = std::fs::read_to_string(dir.path().join("record.sig")).unwrap_or_default();
            if !ok || sig.is_empty() {
                return Err(format!(
                    "{} -Y sign with {} failed: {err}",
                    key.program,
                    key.describe()
                ));
            }
            let fingerprint =
                ssh_check(&key.program, &sig, &data, root)?.map_err(|r| r.to_string())?;
            Ok(Made {
                key: fingerprint,
                signature: sig,
            })
        }
    }
}

fn sign_openpgp(program: &str, id: &str, data: &Path, root: &Path) -> Result<Made, String> {
    let args: Vec<&std::ffi::OsStr> = vec!["--status-fd=2".as_ref(), "-bsau".as_ref(), id.as_ref()];
    let (ok, sig, status) = run(program, &args, Some(data), root)?;
    let created = status
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] SIG_CREATED "));
    match created.and_then(|l| l.split_whitespace().last()) {
        Some(fpr) if ok && sig.contains("-----BEGIN PGP SIGNATURE-----") => Ok(Made {
            key: fpr.to_string(),
            signature: sig,
        }),
        _ => Err(format!(
            "{program} -bsau {id} failed: {}",
            status
                .lines()
                .filter(|l| !l.starts_with("[GNUPG:]"))
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

/// Whether an SSH signature matches `data`, without asking who may sign: the key's fingerprint.
fn ssh_check(
    program: &str,
    sig: &str,
    data: &Path,
    root: &Path,
) -> Result<Result<String, Rejected>, String> {
    let dir = temp_dir()?;
    let sig_file = dir.path().join("record.sig");
    write_file(&sig_file, sig.as_bytes())?;
    let args: Vec<&std::ffi::OsStr> = vec![
        "-Y".as_ref(),
        "check-novalidate".as_ref(),
        "-n".as_ref(),
        NAMESPACE.as_ref(),
        "-s".as_ref(),
        sig_file.as_os_str(),
    ];
    let (ok, out, err) = run(program, &args, Some(data), root)?;
    let fingerprint = out
        .split_whitespace()
        .find(|w| w.starts_with("SHA256:"))
        .map(str::to_string);
    match fingerprint {
        Some(f) if ok => Ok(Ok(f)),
        _ => Ok(Err(Rejected::Edited(format!(
            "its SSH signature does not match ({})",
            if err.is_empty() {
                "no good signature"
            } else {
                err.as_str()
            }
        )))),
    }
}

/// One signature of a record, as stored.
pub struct Claim<'a> {
    pub format: Format,
    /// The fingerprint the record says signed.
    pub key: &'a str,
    /// `Name <email>`: the email must be the key's principal.
    pub signer: &'a str,
    /// When it was signed (RFC 3339): SSH keys are checked as of then, as git does.
    pub signed_at: Option<jiff::Timestamp>,
    pub signature: &'a str,
}

/// Checks one signature over `payload`: `Ok(Err(_))` names why it is not accepted; `Err` when it
/// cannot be checked at all (no program, no allowed-signers file).
pub fn verify(
    v: &Verifier,
    root: &Path,
    claim: &Claim<'_>,
    payload: &[u8],
) -> Result<Result<(), Rejected>, String> {
    let dir = temp_dir()?;
    let data = dir.path().join("record");
    write_file(&data, payload)?;
    let email = email_of(claim.signer).ok_or_else(|| {
        format!(
            "the signer `{}` has no email: a signature's principal is its email",
            claim.signer
        )
    });
    let email = match email {
        Ok(e) => e,
        Err(m) => return Ok(Err(Rejected::SignerMismatch(m))),
    };
    match claim.format {
        Format::Ssh => verify_ssh(v, root, claim, email, &data),
        Format::OpenPgp => verify_openpgp(v, root, claim, email, &data),
    }
}

fn verify_ssh(
    v: &Verifier,
    root: &Path,
    claim: &Claim<'_>,
    email: &str,
    data: &Path,
) -> Result<Result<(), Rejected>, String> {
    let program = &v.ssh_program;
    let fingerprint = match ssh_check(program, claim.signature, data, root)? {
        Ok(f) => f,
        Err(r) => return Ok(Err(r)),
    };
    if fingerprint != claim.key {
        return Ok(Err(Rejected::Edited(format!(
            "the record names key {}, but the signature was made by {fingerprint}",
            claim.key
        ))));
    }
    let Some((allowed, named)) = &v.allowed_signers else {
        return Err("no allowed-signers file to check SSH signatures against: name one in .shipgate.yaml (`signoff: {allowed-signers: .shipgate/allowed_signers}`, committed) or set git's gpg.ssh.allowedSignersFile".into());
    };
    if !allowed.is_file() {
        return Err(format!(
            "the allowed-signers file {} ({named}) cannot be read: create it with one line per release manager, `email ssh-ed25519 AAAA…`",
            allowed.display()
        ));
    }
    let dir = temp_dir()?;
    let sig_file = dir.path().join("record.sig");
    write_file(&sig_file, claim.signature.as_bytes())?;
    let find: Vec<&std::ffi::OsStr> = vec![
        "-Y".as_ref(),
        "find-principals".as_ref(),
        "-s".as_ref(),
        sig_file.as_os_str(),
        "-f".as_ref(),
        allowed.as_os_str(),
    ];
    let (found, principals, _) = run(program, &find, None, root)?;
    if !found {
        return Ok(Err(Rejected::UnknownKey(format!(
            "key {fingerprint} is not in the allowed-signers file {} ({named})",
            allowed.display()
        ))));
    }
    let principals: Vec<&str> = principals.lines().map(str::trim).collect();
    if !principals.iter().any(|p| p.eq_ignore_ascii_case(email)) {
        return Ok(Err(Rejected::SignerMismatch(format!(
            "the record says {} signed, but key {fingerprint} is allowed for {} in {}",
            claim.signer,
            principals.join(", "),
            allowed.display()
        ))));
    }
    let time = claim
        .signed_at
        .map(|t| format!("-Overify-time={}", t.strftime("%Y%m%d%H%M%SZ")));
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "-Y".as_ref(),
        "verify".as_ref(),
        "-f".as_ref(),
        allowed.as_os_str(),
        "-I".as_ref(),
        email.as_ref(),
        "-n".as_ref(),
        NAMESPACE.as_ref(),
        "-s".as_ref(),
        sig_file.as_os_str(),
    ];
    if let Some(t) = &time {
        args.push(t.as_ref());
    }
    let (ok, _, err) = run(program, &args, Some(data), root)?;
    if !ok {
        return Ok(Err(Rejected::Refused(format!(
            "{program} -Y verify refused key {fingerprint} for {email}: {err}"
        ))));
    }
    Ok(Ok(()))
}

fn verify_openpgp(
    v: &Verifier,
    root: &Path,
    claim: &Claim<'_>,
    email: &str,
    data: &Path,
) -> Result<Result<(), Rejected>, String> {
    let program = &v.gpg_program;
    let dir = temp_dir()?;
    let sig_file = dir.path().join("record.asc");
    write_file(&sig_file, claim.signature.as_bytes())?;
    let args: Vec<&std::ffi::OsStr> = vec![
        "--status-fd=1".as_ref(),
        "--keyid-format=long".as_ref(),
        "--verify".as_ref(),
        sig_file.as_os_str(),
        "-".as_ref(),
    ];
    let (_, status, _) = run(program, &args, Some(data), root)?;
    let line = |tag: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(&format!("[GNUPG:] {tag} ")))
            .map(str::to_string)
    };
    if let Some(l) = line("BADSIG") {
        return Ok(Err(Rejected::Edited(format!(
            "its OpenPGP signature does not match (BADSIG {l})"
        ))));
    }
    if let Some(id) = line("NO_PUBKEY") {
        return Ok(Err(Rejected::UnknownKey(format!(
            "OpenPGP key {id} is not in the verifier's keyring: import the release managers' public keys (gpg --import)"
        ))));
    }
    for (tag, what) in [
        ("EXPKEYSIG", "the key has expired"),
        ("REVKEYSIG", "the key was revoked"),
        ("EXPSIG", "the signature has expired"),
    ] {
        if let Some(l) = line(tag) {
            return Ok(Err(Rejected::Refused(format!("{what} ({l})"))));
        }
    }
    let (Some(_), Some(valid)) = (line("GOODSIG"), line("VALIDSIG")) else {
        return Ok(Err(Rejected::Edited(format!(
            "{program} --verify found no good signature"
        ))));
    };
    let fields: Vec<&str> = valid.split_whitespace().collect();
    let signing = fields.first().copied().unwrap_or_default();
    let primary = fields.last().copied().unwrap_or_default();
    if !claim.key.eq_ignore_ascii_case(signing) && !claim.key.eq_ignore_ascii_case(primary) {
        return Ok(Err(Rejected::Edited(format!(
            "the record names key {}, but the signature was made by {signing}",
            claim.key
        ))));
    }
    let list: Vec<&std::ffi::OsStr> = vec![
        "--with-colons".as_ref(),
        "--list-keys".as_ref(),
        primary.as_ref(),
    ];
    let (_, keys, _) = run(program, &list, None, root)?;
    let uids: Vec<String> = keys
        .lines()
        .filter(|l| l.starts_with("uid:"))
        .filter_map(|l| l.split(':').nth(9))
        .map(|u| u.replace("\\x3a", ":"))
        .collect();
    let wanted = format!("<{}>", email.to_ascii_lowercase());
    if !uids
        .iter()
        .any(|u| u.to_ascii_lowercase().contains(&wanted))
    {
        return Ok(Err(Rejected::SignerMismatch(format!(
            "the record says {} signed, but key {primary} is {}",
            claim.signer,
            uids.join(", ")
        ))));
    }
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_principal_is_the_signer_s_email() {
        assert_eq!(
            email_of("Rel Eng <rel@example.com>"),
            Some("rel@example.com")
        );
        assert_eq!(email_of("rel@example.com"), Some("rel@example.com"));
        assert_eq!(email_of("Rel Eng"), None);
        assert_eq!(email_of("Rel <>"), None);
    }

    #[test]
    fn literal_keys_and_key_files() {
        assert!(is_literal_ssh_key("key::ssh-ed25519 AAAA x"));
        assert!(is_literal_ssh_key("ssh-ed25519 AAAA"));
        assert!(!is_literal_ssh_key("~/.ssh/id_ed25519.pub"));
        assert_eq!(
            strip_key_prefix(" key::ssh-ed25519 AAAA "),
            "ssh-ed25519 AAAA"
        );
        let k = SigningKey {
            format: Format::Ssh,
            key: Key::Literal("ssh-ed25519 AAAAC3Nz comment".into()),
            program: "ssh-keygen".into(),
        };
        assert_eq!(k.describe(), "SSH key ssh-ed25519 AAAAC3Nz (in ssh-agent)");
    }
}
