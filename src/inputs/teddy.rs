//! A SIMD first stage for the content matcher's literal pass (the Teddy algorithm of Hyperscan, as
//! the `aho-corasick` crate implements it for case-sensitive literals, here made ASCII
//! case-insensitive).
//!
//! The literal pass looks for every occurrence of about a thousand literals (`akia`, `-----beg`,
//! `/home/`, `key`…) in every byte of every file, ASCII case-insensitively. The crate's DFA does it
//! at ten instructions a byte, and its own SIMD searchers do not fold case. Here:
//! - The literals are put in 16 buckets. For each of their first four bytes and each bucket, two
//!   16-entry tables say which low and which high nibbles that byte may have (both cases of a
//!   letter). Sixteen positions at a time, four `pshufb` pairs give, per position, the buckets
//!   whose first four bytes may all be there: a superset of the places a literal starts, at about
//!   two instructions a byte.
//! - At such a place the literals are checked exactly: those of four bytes or more behind a bitmap
//!   and a hash table on their first four bytes (folded), the few shorter ones behind a table of
//!   their first two bytes, out of line.
//! - Buckets are filled greedily to keep each one's chance of a false place low, with a table of
//!   how common each byte is in ordinary source code.
//!
//! The result is the same as the DFA's: every occurrence of every literal, overlapping ones
//! included (reported in the order they start). Without AVX2 (or on other architectures) the
//! matcher keeps the DFA.

/// Number of first bytes each bucket's tables describe.
const K: usize = 4;
const BUCKETS: usize = 16;
/// More distinct four-byte prefixes than this and the buckets say too little: the DFA is used.
const MAX_PREFIXES: usize = 4096;
const FILTER_BITS: u32 = 15;

/// The first stage and the exact check behind it.
pub struct Teddy {
    /// Per position j < K: the low-nibble table (bytes 0..16: buckets 0-7, bytes 16..32: buckets
    /// 8-15, one bit per bucket) and the high-nibble table.
    lo: [[u8; 32]; K],
    hi: [[u8; 32]; K],
    lits: Vec<Vec<u8>>,
    /// Literals of at least K bytes by their folded first K bytes (open addressing).
    slots: Vec<Slot>,
    slot_bits: u32,
    /// One bit per hash of the long literals' keys (2^FILTER_BITS of them, 4 KiB): most places the
    /// first stage lets through are turned down here, in the first-level cache.
    filter: Box<[u64; 1 << (FILTER_BITS - 6)]>,
    long_ids: Vec<u32>,
    /// Literals shorter than K bytes, by their first byte (lowercase), and their first two bytes
    /// (folded, one bit each of 65,536: a one-byte literal sets every pair it starts).
    short: Vec<Vec<u32>>,
    short_pairs: Box<[u64; 1024]>,
    /// The buckets holding long and short literals.
    long_bits: u16,
    short_bits: u16,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    key: u32,
    first: u32,
    /// 0: empty.
    count: u32,
}

/// The first K bytes at the start of `b`, ASCII-lowercased, as one number (four bytes at once:
/// a byte from `A` to `Z` gains 0x20).
#[inline(always)]
fn fold_key(b: [u8; K]) -> u32 {
    let x = u32::from_le_bytes(b);
    let low7 = x & 0x7f7f_7f7f;
    // The high bit of each byte: at least `A` (0x80 - 0x41 = 0x3f), past `Z` (0x80 - 0x5b).
    let from_a = low7.wrapping_add(0x3f3f_3f3f);
    let past_z = low7.wrapping_add(0x2525_2525);
    let upper = from_a & !past_z & !x & 0x8080_8080;
    x | (upper >> 2)
}

/// The slot of `key` in a table of 2^`bits` slots (Fibonacci hashing: the top bits of a product).
fn slot_of(key: u32, bits: u32) -> usize {
    (u64::from(key).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - bits)) as usize
}

/// The spellings an ASCII case-insensitive literal byte matches.
fn spellings(b: u8) -> impl Iterator<Item = u8> {
    let other = if b.is_ascii_alphabetic() {
        Some(b ^ 0x20)
    } else {
        None
    };
    std::iter::once(b).chain(other)
}

/// A bucket's byte sets, as nibble masks per position (`None`: any byte, past a short literal's
/// end).
#[derive(Clone, Copy, Default)]
struct Sets {
    lo: [u16; K],
    hi: [u16; K],
    any: [bool; K],
}

impl Sets {
    fn with(mut self, lit: &[u8]) -> Sets {
        for j in 0..K {
            match lit.get(j) {
                None => self.any[j] = true,
                Some(&b) => {
                    for s in spellings(b) {
                        self.lo[j] |= 1 << (s & 15);
                        self.hi[j] |= 1 << (s >> 4);
                    }
                }
            }
        }
        self
    }

    /// The estimated chance that a position of ordinary text passes this bucket's tables.
    fn chance(&self, weight: &[f64; 256]) -> f64 {
        let mut p = 1.0;
        for j in 0..K {
            if self.any[j] {
                continue;
            }
            let mut s = 0.0;
            let mut his = self.hi[j];
            while his != 0 {
                let h = his.trailing_zeros() as usize;
                his &= his - 1;
                let mut los = self.lo[j];
                while los != 0 {
                    let l = los.trailing_zeros() as usize;
                    los &= los - 1;
                    s += weight[h * 16 + l];
                }
            }
            p *= s;
        }
        p
    }
}

impl Teddy {
    /// The first stage for `lits` (lowercase, as the automaton holds them), or `None` where it
    /// cannot run (no AVX2) or would say too little.
    pub fn new(lits: &[Vec<u8>]) -> Option<Teddy> {
        if !available() || lits.is_empty() || lits.iter().any(|l| l.is_empty()) {
            return None;
        }
        Self::build(lits)
    }

    fn build(lits: &[Vec<u8>]) -> Option<Teddy> {
        // The literals by their first K bytes: literals sharing them share a bucket.
        let mut groups: std::collections::HashMap<&[u8], Vec<u32>> = Default::default();
        for (i, l) in lits.iter().enumerate() {
            groups
                .entry(&l[..l.len().min(K)])
                .or_default()
                .push(i as u32);
        }
        if groups.len() > MAX_PREFIXES {
            return None;
        }
        let weight = weights();
        let mut order: Vec<(f64, &[u8])> = groups
            .keys()
            .map(|p| (Sets::default().with(p).chance(&weight), *p))
            .collect();
        // The likeliest first (deterministically: ties by the bytes).
        order.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut sets = [Sets::default(); BUCKETS];
        let mut chance = [0.0f64; BUCKETS];
        let mut used = [false; BUCKETS];
        let mut bucket_of: std::collections::HashMap<&[u8], usize> = Default::default();
        for (_, p) in &order {
            let mut best = (f64::INFINITY, 0);
            for b in 0..BUCKETS {
                let c = sets[b].with(p).chance(&weight);
                let cost = if used[b] { c - chance[b] } else { c };
                if cost < best.0 {
                    best = (cost, b);
                }
            }
            let b = best.1;
            sets[b] = sets[b].with(p);
            chance[b] = sets[b].chance(&weight);
            used[b] = true;
            bucket_of.insert(p, b);
        }
        let mut t = Teddy {
            lo: [[0; 32]; K],
            hi: [[0; 32]; K],
            lits: lits.to_vec(),
            slots: Vec::new(),
            slot_bits: 0,
            filter: Box::new([0; 1 << (FILTER_BITS - 6)]),
            long_ids: Vec::new(),
            short: vec![Vec::new(); 256],
            short_pairs: Box::new([0; 1024]),
            long_bits: 0,
            short_bits: 0,
        };
        for (b, s) in sets.iter().enumerate().filter(|(b, _)| used[*b]) {
            let (lane, bit) = ((b / 8) * 16, 1u8 << (b % 8));
            for j in 0..K {
                for n in 0..16 {
                    if s.any[j] || s.lo[j] & (1 << n) != 0 {
                        t.lo[j][lane + n] |= bit;
                    }
                    if s.any[j] || s.hi[j] & (1 << n) != 0 {
                        t.hi[j][lane + n] |= bit;
                    }
                }
            }
        }
        // The exact check: long literals by their folded first K bytes, short ones listed.
        let mut long: std::collections::BTreeMap<u32, Vec<u32>> = Default::default();
        for (p, ids) in &groups {
            let bit = 1u16 << bucket_of[p];
            if p.len() >= K {
                t.long_bits |= bit;
                long.entry(fold_key([p[0], p[1], p[2], p[3]]))
                    .or_default()
                    .extend(ids);
            } else {
                t.short_bits |= bit;
                // Keyed as `verify` and `confirm` look them up: by folded bytes.
                let first = p[0].to_ascii_lowercase();
                t.short[usize::from(first)].extend(ids);
                let seconds: Vec<u8> = match p.get(1) {
                    Some(&b) => vec![b.to_ascii_lowercase()],
                    None => (0..=255).map(|b: u8| b.to_ascii_lowercase()).collect(),
                };
                for b in seconds {
                    let pair = usize::from(first) | usize::from(b) << 8;
                    t.short_pairs[pair / 64] |= 1 << (pair % 64);
                }
            }
        }
        for s in &mut t.short {
            s.sort_unstable();
        }
        // A quarter full: most lookups end at their first slot.
        let size = (long.len() * 4).next_power_of_two().max(16);
        t.slot_bits = size.trailing_zeros();
        t.slots = vec![Slot::default(); size];
        for (key, ids) in long {
            let f = slot_of(key, FILTER_BITS);
            t.filter[f / 64] |= 1 << (f % 64);
            let mut s = slot_of(key, t.slot_bits);
            while t.slots[s].count != 0 {
                s = (s + 1) & (size - 1);
            }
            t.slots[s] = Slot {
                key,
                first: t.long_ids.len() as u32,
                count: ids.len() as u32,
            };
            t.long_ids.extend(ids);
        }
        Some(t)
    }

    /// Calls `f(literal, start)` for every occurrence of every literal in `data`, in the order
    /// they start.
    pub fn each(&self, data: &[u8], mut f: impl FnMut(usize, usize)) {
        #[cfg(target_arch = "x86_64")]
        {
            // SAFETY: a Teddy is only made where AVX2 is available (`new`).
            unsafe { self.each_avx2(data, &mut f) }
        }
        #[cfg(not(target_arch = "x86_64"))]
        for at in 0..data.len() {
            self.verify(data, at, u16::MAX, &mut f);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    unsafe fn each_avx2(&self, data: &[u8], f: &mut impl FnMut(usize, usize)) {
        use std::arch::x86_64::*;
        let load = |t: &[u8; 32]| _mm256_loadu_si256(t.as_ptr().cast());
        let (lo0, lo1, lo2, lo3) = (
            load(&self.lo[0]),
            load(&self.lo[1]),
            load(&self.lo[2]),
            load(&self.lo[3]),
        );
        let (hi0, hi1, hi2, hi3) = (
            load(&self.hi[0]),
            load(&self.hi[1]),
            load(&self.hi[2]),
            load(&self.hi[3]),
        );
        let nibble = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        // Per position j of the literals, the buckets each byte of the previous chunk may be
        // the j-th byte of (none before the data).
        let (mut p0, mut p1, mut p2) = (zero, zero, zero);
        let mut at = 0;
        let mut lanes = [0u8; 32];
        while at + 16 <= data.len() {
            // Both lanes hold the same 16 bytes: the low lane asks buckets 0-7, the high 8-15.
            // SAFETY: at + 16 <= data.len().
            let c = _mm256_broadcastsi128_si256(_mm_loadu_si128(data.as_ptr().add(at).cast()));
            let l = _mm256_and_si256(c, nibble);
            let h = _mm256_and_si256(_mm256_srli_epi16(c, 4), nibble);
            let r0 = _mm256_and_si256(_mm256_shuffle_epi8(lo0, l), _mm256_shuffle_epi8(hi0, h));
            let r1 = _mm256_and_si256(_mm256_shuffle_epi8(lo1, l), _mm256_shuffle_epi8(hi1, h));
            let r2 = _mm256_and_si256(_mm256_shuffle_epi8(lo2, l), _mm256_shuffle_epi8(hi2, h));
            let r3 = _mm256_and_si256(_mm256_shuffle_epi8(lo3, l), _mm256_shuffle_epi8(hi3, h));
            // Lined up on the last byte of the four: index i is the place `at + i - 3`.
            let r = _mm256_and_si256(
                _mm256_and_si256(r3, _mm256_alignr_epi8(r2, p2, 15)),
                _mm256_and_si256(
                    _mm256_alignr_epi8(r1, p1, 14),
                    _mm256_alignr_epi8(r0, p0, 13),
                ),
            );
            (p0, p1, p2) = (r0, r1, r2);
            let some = !(_mm256_movemask_epi8(_mm256_cmpeq_epi8(r, zero)) as u32);
            if some != 0 {
                _mm256_storeu_si256(lanes.as_mut_ptr().cast(), r);
                let mut places = (some & 0xffff) | (some >> 16);
                while places != 0 {
                    let i = places.trailing_zeros() as usize;
                    places &= places - 1;
                    let bits = lanes[i] as u16 | (lanes[16 + i] as u16) << 8;
                    // i >= 3 wherever bits are set: the previous chunk's places before the
                    // data are empty.
                    self.verify(data, at + i - (K - 1), bits, f);
                }
            }
            at += 16;
        }
        // The places whose four bytes the chunks did not all see.
        for p in at.saturating_sub(K - 1)..data.len() {
            self.verify(data, p, u16::MAX, f);
        }
    }

    /// The literals that start at `at`, of the buckets in `bits`: two bit tests turn down most
    /// places (kept small, in the loop); the rest are checked out of line.
    #[inline(always)]
    fn verify(&self, data: &[u8], at: usize, bits: u16, f: &mut impl FnMut(usize, usize)) {
        let rest = &data[at..];
        let key = rest.first_chunk::<K>().map(|h| fold_key(*h));
        let long = bits & self.long_bits != 0
            && key.is_some_and(|k| {
                let h = slot_of(k, FILTER_BITS);
                self.filter[h / 64] & (1 << (h % 64)) != 0
            });
        // A short literal needs its first two bytes there (one-byte literals set every pair).
        let pair = usize::from(rest[0].to_ascii_lowercase())
            | usize::from(rest.get(1).map_or(0, u8::to_ascii_lowercase)) << 8;
        let short = bits & self.short_bits != 0
            && (rest.len() < 2 || self.short_pairs[pair / 64] & (1 << (pair % 64)) != 0);
        if long || short {
            self.confirm(rest, at, key.filter(|_| long), short, f);
        }
    }

    /// The exact check of one place: the long literals with the folded first K bytes `key` (if
    /// the filter let it through), the short ones that start with its first byte (if `short`).
    #[inline(never)]
    fn confirm(
        &self,
        rest: &[u8],
        at: usize,
        key: Option<u32>,
        short: bool,
        f: &mut impl FnMut(usize, usize),
    ) {
        if let Some(key) = key {
            let mask = self.slots.len() - 1;
            let mut s = slot_of(key, self.slot_bits);
            loop {
                let slot = self.slots[s];
                if slot.count == 0 {
                    break;
                }
                if slot.key == key {
                    let first = slot.first as usize;
                    for &id in &self.long_ids[first..first + slot.count as usize] {
                        let l = &self.lits[id as usize];
                        if rest.len() >= l.len() && rest[K..l.len()].eq_ignore_ascii_case(&l[K..]) {
                            f(id as usize, at);
                        }
                    }
                    break;
                }
                s = (s + 1) & mask;
            }
        }
        if short {
            for &id in &self.short[usize::from(rest[0].to_ascii_lowercase())] {
                let l = &self.lits[id as usize];
                if rest.len() >= l.len() && rest[..l.len()].eq_ignore_ascii_case(l) {
                    f(id as usize, at);
                }
            }
        }
    }
}

/// Whether this CPU runs the first stage.
fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVX2: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVX2.get_or_init(|| std::arch::is_x86_feature_detected!("avx2"))
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// How common each byte is in ordinary text and code, as a probability.
fn weights() -> [f64; 256] {
    let mut w = [0.0; 256];
    for (b, q) in RARITY.iter().enumerate() {
        w[b] = (-f64::from(*q) / 8.0).exp2();
    }
    let total: f64 = w.iter().sum();
    w.map(|x| x / total)
}

/// How rare each byte is in ordinary source, as `-8 log2(p)` rounded: measured on 82 MB of code
/// no benchmark here reads (the Python 3.11 standard library, Rust crates from the registry, C
/// headers of /usr/include and the JavaScript of Node's bundled modules; text files only).
/// With these, the buckets let a twentieth of moby/moby's places through (a thirteenth with
/// `memchr`'s byte ranks instead).
#[rustfmt::skip]
const RARITY: [u8; 256] = [
    210, 210, 210, 210, 210, 210, 210, 210, 210, 77, 42, 210, 162, 113, 210, 210,
    210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210,
    19, 82, 58, 59, 92, 99, 77, 67, 53, 53, 60, 87, 51, 66, 58, 58,
    58, 59, 58, 62, 68, 71, 69, 76, 69, 75, 50, 58, 72, 56, 68, 94,
    94, 54, 68, 57, 61, 52, 62, 69, 72, 55, 96, 76, 57, 64, 56, 57,
    59, 88, 56, 52, 52, 67, 72, 80, 71, 76, 86, 70, 81, 70, 111, 37,
    77, 42, 52, 45, 47, 34, 50, 55, 54, 41, 86, 63, 46, 53, 39, 41,
    46, 79, 40, 40, 36, 45, 63, 65, 63, 57, 75, 69, 88, 69, 121, 190,
    99, 107, 106, 108, 92, 91, 93, 107, 109, 110, 110, 111, 111, 109, 111, 111,
    109, 108, 111, 112, 110, 103, 107, 114, 113, 109, 110, 113, 112, 106, 110, 113,
    109, 111, 112, 110, 110, 109, 111, 111, 109, 110, 110, 109, 110, 110, 102, 109,
    107, 109, 109, 109, 107, 109, 113, 106, 109, 110, 107, 110, 109, 108, 109, 108,
    210, 210, 121, 115, 136, 135, 155, 145, 151, 155, 154, 151, 96, 120, 119, 131,
    127, 136, 155, 154, 178, 158, 105, 139, 123, 121, 151, 144, 149, 156, 210, 157,
    111, 80, 105, 111, 122, 102, 102, 103, 103, 106, 114, 100, 100, 108, 158, 111,
    102, 210, 210, 169, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210, 210,
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Every occurrence, the slow way.
    fn naive(lits: &[Vec<u8>], data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for at in 0..data.len() {
            for (i, l) in lits.iter().enumerate() {
                if data[at..].len() >= l.len() && data[at..at + l.len()].eq_ignore_ascii_case(l) {
                    out.push((i, at));
                }
            }
        }
        out.sort_unstable();
        out
    }

    fn found(t: &Teddy, data: &[u8]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        t.each(data, |i, at| out.push((i, at)));
        out.sort_unstable();
        out
    }

    /// A small deterministic generator (xorshift).
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick(&mut self, xs: &[u8]) -> u8 {
            xs[(self.next() % xs.len() as u64) as usize]
        }
    }

    #[test]
    fn finds_what_a_naive_search_finds() {
        if !available() {
            eprintln!("no AVX2 here: the first stage is not used on this machine");
        }
        let alphabet = b"abcdeKSk-_/ \n\x00\xc5\xbf\xe2\x84\xaa0123ABC";
        let mut rng = Rng(0x2545F4914F6CDD1D);
        for round in 0..300 {
            let n = 1 + (rng.next() % 60) as usize;
            let mut lits: Vec<Vec<u8>> = (0..n)
                .map(|_| {
                    let len = 1 + (rng.next() % 7) as usize;
                    (0..len)
                        .map(|_| rng.pick(alphabet).to_ascii_lowercase())
                        .collect()
                })
                .collect();
            lits.sort();
            lits.dedup();
            let Some(t) = Teddy::build(&lits) else {
                continue;
            };
            let len = (rng.next() % 400) as usize;
            let mut data: Vec<u8> = (0..len).map(|_| rng.pick(alphabet)).collect();
            // Plant literals, in either case, at the start, the end and inside.
            for k in 0..3 {
                let l = &lits[(rng.next() % lits.len() as u64) as usize];
                let spelled: Vec<u8> = l
                    .iter()
                    .map(|b| {
                        if rng.next() % 2 == 0 {
                            b.to_ascii_uppercase()
                        } else {
                            *b
                        }
                    })
                    .collect();
                match k {
                    0 => data.splice(0..0, spelled),
                    1 => data.splice(data.len()..data.len(), spelled),
                    _ => {
                        let at = (rng.next() % (data.len() as u64 + 1)) as usize;
                        data.splice(at..at, spelled)
                    }
                };
            }
            if available() {
                assert_eq!(
                    found(&t, &data),
                    naive(&lits, &data),
                    "round {round}: {lits:?}"
                );
            }
            // The exact check alone (the tail's path, and the one without AVX2).
            let mut all = Vec::new();
            for at in 0..data.len() {
                t.verify(&data, at, u16::MAX, &mut |i, s| all.push((i, s)));
            }
            all.sort_unstable();
            assert_eq!(all, naive(&lits, &data), "round {round}");
        }
    }

    #[test]
    fn folds_four_bytes_as_to_ascii_lowercase_does() {
        for a in 0..=255u8 {
            for b in [
                0u8, b'@', b'A', b'Z', b'[', b'a', b'z', 0x80, 0xc1, 0xda, 0xff,
            ] {
                let x = [a, b, a ^ 0x20, b.wrapping_add(a)];
                let want = u32::from_le_bytes(x.map(|c| c.to_ascii_lowercase()));
                assert_eq!(fold_key(x), want, "{x:?}");
            }
        }
    }

    #[test]
    fn the_buckets_say_something_on_ordinary_code() {
        // A realistic set: most places of ordinary code pass no bucket.
        let lits: Vec<Vec<u8>> = [
            "akia",
            "asia",
            "ghp_",
            "gho_",
            "xoxb-",
            "-----beg",
            "/home/",
            "/users/",
            "http",
            "key",
            "token",
            "secret",
            "passw",
            "localhost",
            "127.0.0.1",
            "${",
            "debug",
            "from ",
            "name:",
            "process.",
            "os.envir",
            "env::var",
            "sk_live_",
            "npm_",
            "eyj",
            "aiza",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        let t = Teddy::build(&lits).unwrap();
        let code = "fn main() { let value = compute(42); println!(\"{value}\"); }\n".repeat(50);
        if available() {
            let mut places = 0;
            // Counting the exact check's calls is internal; count what the tables let through.
            for at in 0..code.len() - K {
                let mut bits = u16::MAX;
                for j in 0..K {
                    let b = code.as_bytes()[at + j];
                    let lo = t.lo[j][(b & 15) as usize] as u16
                        | (t.lo[j][16 + (b & 15) as usize] as u16) << 8;
                    let hi = t.hi[j][(b >> 4) as usize] as u16
                        | (t.hi[j][16 + (b >> 4) as usize] as u16) << 8;
                    bits &= lo & hi;
                }
                places += (bits != 0) as usize;
            }
            assert!(
                places * 10 < code.len(),
                "{places} of {} places pass",
                code.len()
            );
            assert!(found(&t, code.as_bytes()).is_empty());
        }
    }
}
