//! Versions and version ranges as ecosystems write them, compared at the precision they state.
//! A version is its numeric components (`20`, `3.12`, `1.22.1`): `20` is a pin at major precision
//! and agrees with `20.11.1`. A range is an OR of ANDs of comparators in the union of npm's,
//! PEP 440's, Poetry's, RubyGems' and Cargo's syntax (`>=18`, `^20.19.0 || >=22.12`, `>=3.9,<4`,
//! `~=3.10`, `~> 3.2`, `3.*`, `18.x`, `18 - 20`). Comparisons are lenient where the syntaxes
//! differ (`>18` allows 18.5): a finding is always a real disagreement.

/// Numeric components, as many as were written.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ver(pub Vec<u64>);

impl std::fmt::Display for Ver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|n| n.to_string()).collect();
        f.write_str(&parts.join("."))
    }
}

const WIDTH: usize = 4;

impl Ver {
    /// The leading `N(.N)*` of `s` (after a `v`), with `.x`/`.*` ending the precision. `None`
    /// when `s` does not start with a digit.
    pub fn parse(s: &str) -> Option<Ver> {
        let s = s.trim();
        let s = s.strip_prefix(['v', 'V']).unwrap_or(s);
        if !s.starts_with(|c: char| c.is_ascii_digit()) {
            return None;
        }
        let mut parts = Vec::new();
        for p in s.split('.') {
            let digits: String = p.chars().take_while(|c| c.is_ascii_digit()).collect();
            if digits.is_empty() {
                break;
            }
            parts.push(digits.parse().ok()?);
            if digits.len() != p.len() {
                break;
            }
        }
        (!parts.is_empty()).then_some(Ver(parts))
    }

    /// Whether both agree at the precision both state (`20` and `20.11.1` do).
    pub fn agrees(&self, other: &Ver) -> bool {
        self.0.iter().zip(&other.0).all(|(a, b)| a == b)
    }

    fn padded(&self) -> [u64; WIDTH] {
        let mut out = [0; WIDTH];
        for (i, n) in self.0.iter().take(WIDTH).enumerate() {
            out[i] = *n;
        }
        out
    }

    /// The first version after every version this one's prefix stands for (`20` → `21`,
    /// `3.12` → `3.13`).
    fn next_at(&self, precision: usize) -> [u64; WIDTH] {
        let mut out = self.padded();
        let k = precision.clamp(1, WIDTH);
        out[k - 1] = out[k - 1].saturating_add(1);
        for x in out.iter_mut().skip(k) {
            *x = 0;
        }
        out
    }

    fn end(&self) -> [u64; WIDTH] {
        self.next_at(self.0.len())
    }

    /// Whether every version this prefix stands for is below `floor`.
    pub fn below(&self, floor: &Ver) -> bool {
        self.end() <= floor.padded()
    }
}

/// `[lo, hi)` over padded versions.
type Interval = ([u64; WIDTH], [u64; WIDTH]);

const MAX: [u64; WIDTH] = [u64::MAX; WIDTH];

/// A range: OR of ANDs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Req {
    alternatives: Vec<Vec<Interval>>,
}

impl Req {
    /// Parses a range; `None` when some part is not understood (such a declaration is left out,
    /// never guessed at).
    pub fn parse(s: &str) -> Option<Req> {
        let mut alternatives = Vec::new();
        for alt in s.split("||") {
            let mut set = Vec::new();
            let alt = alt.trim();
            if let Some((a, b)) = alt.split_once(" - ") {
                let (a, b) = (Ver::parse(a)?, Ver::parse(b)?);
                set.push((a.padded(), b.end()));
                alternatives.push(set);
                continue;
            }
            for c in tokens(alt) {
                if let Some(i) = comparator(&c)? {
                    set.push(i);
                }
            }
            alternatives.push(set);
        }
        Some(Req { alternatives })
    }

    /// Whether one version can satisfy both ranges.
    pub fn intersects(&self, other: &Req) -> bool {
        self.alternatives.iter().any(|a| {
            other.alternatives.iter().any(|b| {
                let lo = a
                    .iter()
                    .chain(b)
                    .map(|i| i.0)
                    .fold([0; WIDTH], |x, y| x.max(y));
                let hi = a.iter().chain(b).map(|i| i.1).fold(MAX, |x, y| x.min(y));
                lo < hi
            })
        })
    }

    /// Whether some version with `pin`'s prefix is in the range.
    pub fn allows(&self, pin: &Ver) -> bool {
        let (plo, phi) = (pin.padded(), pin.end());
        self.alternatives.iter().any(|set| {
            let lo = set.iter().map(|i| i.0).fold(plo, |a, b| a.max(b));
            let hi = set.iter().map(|i| i.1).fold(phi, |a, b| a.min(b));
            lo < hi
        })
    }
}

/// Comparators of one AND-set: split on commas and spaces, an operator joined to its version.
fn tokens(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut pending = String::new();
    for raw in s.split([',', ' ', '\t']).filter(|t| !t.is_empty()) {
        if raw.chars().all(|c| "<>=!~^".contains(c)) {
            pending.push_str(raw);
            continue;
        }
        out.push(format!("{pending}{raw}"));
        pending.clear();
    }
    out
}

/// One comparator as an interval; `Ok(None)` for one that does not narrow (`*`, `!=`).
fn comparator(c: &str) -> Option<Option<Interval>> {
    let ops = ["~>", "~=", ">=", "<=", "==", "!=", ">", "<", "=", "^", "~"];
    let (op, rest) = ops
        .iter()
        .find_map(|o| c.strip_prefix(o).map(|r| (*o, r.trim())))
        .unwrap_or(("", c));
    if matches!(rest, "*" | "x" | "X" | "") || op == "!=" {
        return Some(None);
    }
    let rest = rest.trim_end_matches(".*").trim_end_matches(".x");
    let v = Ver::parse(rest)?;
    let n = v.0.len();
    let i = match op {
        ">=" => (v.padded(), MAX),
        ">" => (v.end(), MAX),
        "<" => ([0; WIDTH], v.padded()),
        "<=" => ([0; WIDTH], v.end()),
        "" | "=" | "==" => (v.padded(), v.end()),
        "^" => {
            let first = v.0.iter().position(|x| *x != 0).unwrap_or(n - 1);
            (v.padded(), v.next_at(first + 1))
        }
        "~" => (v.padded(), v.next_at(if n >= 2 { 2 } else { 1 })),
        "~=" | "~>" => (v.padded(), v.next_at(n.saturating_sub(1).max(1))),
        _ => return None,
    };
    Some(Some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Ver {
        Ver::parse(s).unwrap()
    }

    #[test]
    fn versions_agree_at_the_precision_both_state() {
        assert!(v("20").agrees(&v("20.11.1")));
        assert!(v("v20.11.0").agrees(&v("20.11")));
        assert!(!v("3.12").agrees(&v("3.11")));
        assert_eq!(v("1.22-alpine").0, vec![1, 22]);
        assert_eq!(v("3.x").0, vec![3]);
        assert!(Ver::parse("lts/*").is_none());
        assert!(v("1.84").below(&v("1.85")));
        assert!(!v("1").below(&v("1.85")));
        assert!(!v("1.85.0").below(&v("1.85")));
    }

    #[test]
    fn ranges_of_every_syntax() {
        let r = |s: &str| Req::parse(s).unwrap();
        assert!(r(">=18").allows(&v("20")));
        assert!(!r(">=18").allows(&v("16.20")));
        assert!(r("^20.19.0 || >=22.12.0").allows(&v("22")));
        assert!(!r("^20.19.0 || >=22.12.0").allows(&v("21")));
        assert!(r(">=3.9,<4").allows(&v("3.12")));
        assert!(!r(">=3.9, <3.12").allows(&v("3.12")));
        assert!(r("~=3.10").allows(&v("3.12")));
        assert!(!r("~> 3.2.0").allows(&v("3.3")));
        assert!(r("^3.10").allows(&v("3.13")));
        assert!(!r("^3.10").allows(&v("4")));
        assert!(r("3.*").allows(&v("3.12")));
        assert!(r("18 - 20").allows(&v("20.1")));
        assert!(r(">= 18.0.0 < 21").allows(&v("20")));
        assert!(!r(">= 18.0.0 < 21").allows(&v("22")));
        assert!(
            r(">=3.9").allows(&v("3")),
            "a major pin may be a 3.x in range"
        );
        assert!(Req::parse(">=foo").is_none());
        assert!(r("^1.6.2").intersects(&r("^1.7.0")));
        assert!(!r("^0.7").intersects(&r("^0.8")));
        assert!(!r("^18.2.0").intersects(&r("^19.0.0")));
        assert!(r(">=18").intersects(&r("^19.0.0")));
    }
}
