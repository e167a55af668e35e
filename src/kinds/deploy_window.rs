//! `deploy-window`: may a deploy happen *now*? A policy of weekly `deny` and `allow` windows, dated
//! `freezes` and `holidays` (dates, or an iCalendar file), in an IANA time zone.
//!
//! Boundaries are wall-clock times in the policy's zone: "Friday from 12:00" is when a clock on the
//! wall there shows 12:00. Each occurrence of a window becomes an interval of instants, so a
//! daylight-saving change never moves a boundary or opens a gap:
//! - a boundary that does not exist that night (02:30 when clocks jump from 02:00 to 03:00) happens
//!   when the clocks jump past it;
//! - a boundary that happens twice (02:30 when clocks go back from 03:00 to 02:00) is taken so the
//!   window never re-opens: a deny window starts at the first and ends at the second occurrence, an
//!   allow window the other way round. Being careful costs at most the repeated hour.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{Timestamp, Zoned};
use serde::Deserialize;

use crate::check::Meta;
use crate::kinds::{CalendarCx, Kind, Outcome, PassView};
use crate::report::calendar::{Period, Schedule};
use crate::report::model::{Finding, Location};
use crate::types::{Day, Input};

/// How far ahead to look for the next open moment (a year-end freeze plus holidays fit).
const HORIZON_DAYS: i64 = 400;

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DeployWindow {
    /// IANA time zone of this policy (default: `settings.timezone`, else the machine's).
    #[serde(default)]
    pub timezone: Option<Zone>,
    /// Weekly windows when deploys are denied.
    #[serde(default)]
    pub deny: Vec<Window>,
    /// Weekly windows when deploys are allowed; when given, deploys outside them are denied.
    #[serde(default)]
    pub allow: Vec<Window>,
    /// Dated freezes.
    #[serde(default)]
    pub freezes: Vec<Freeze>,
    #[serde(default)]
    pub holidays: Holidays,
}

/// A time zone name, checked against the bundled tz database when the check is loaded.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub tz: TimeZone,
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        TimeZone::get(&name).map(|tz| Zone { name: name.clone(), tz }).map_err(|_| {
            serde::de::Error::custom(format!(
                "unknown time zone `{name}`: use an IANA name such as Europe/Berlin, America/New_York or UTC"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Window {
    /// Days of the week (`mon` … `sun`, or full names).
    pub days: Vec<WeekDay>,
    /// Local start time `HH:MM` (default 00:00).
    #[serde(default)]
    pub from: Option<Clock>,
    /// Local end time `HH:MM`, exclusive (default: the end of the day). At or before `from`, the
    /// window runs past midnight into the next day.
    #[serde(default)]
    pub to: Option<Clock>,
    /// What to call this window in messages ("Friday after 12:00").
    #[serde(default)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WeekDay(pub Weekday);

impl<'de> Deserialize<'de> for WeekDay {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let w = match s.trim().to_ascii_lowercase().as_str() {
            "mon" | "monday" => Weekday::Monday,
            "tue" | "tuesday" => Weekday::Tuesday,
            "wed" | "wednesday" => Weekday::Wednesday,
            "thu" | "thursday" => Weekday::Thursday,
            "fri" | "friday" => Weekday::Friday,
            "sat" | "saturday" => Weekday::Saturday,
            "sun" | "sunday" => Weekday::Sunday,
            _ => {
                return Err(serde::de::Error::custom(format!(
                    "unknown day `{s}`: use mon, tue, wed, thu, fri, sat or sun"
                )))
            }
        };
        Ok(WeekDay(w))
    }
}

/// A wall-clock time `HH:MM` (`24:00` is the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(pub Option<Time>);

impl<'de> Deserialize<'de> for Clock {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if t == "24:00" {
            return Ok(Clock(None));
        }
        let bad = || {
            serde::de::Error::custom(format!(
                "invalid time `{s}`: expected HH:MM, e.g. 12:00 or 24:00"
            ))
        };
        let (h, m) = t.split_once(':').ok_or_else(bad)?;
        let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        Time::new(h, m, 0, 0)
            .map(|t| Clock(Some(t)))
            .map_err(|_| bad())
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(t) => write!(f, "{}", t.strftime("%H:%M")),
            None => f.write_str("24:00"),
        }
    }
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Freeze {
    /// A date (from its start) or a local date-time `YYYY-MM-DDTHH:MM`.
    pub from: Moment,
    /// A date (through its end) or a local date-time (exclusive).
    pub to: Moment,
    pub reason: String,
}

/// A date or a local date-time.
#[derive(Debug, Clone, Copy)]
pub enum Moment {
    Date(Date),
    DateTime(DateTime),
}

impl Moment {
    fn start(self) -> DateTime {
        match self {
            Moment::Date(d) => d.to_datetime(Time::midnight()),
            Moment::DateTime(dt) => dt,
        }
    }

    /// As an exclusive end: a date means through the end of that day.
    fn end(self) -> DateTime {
        match self {
            Moment::Date(d) => d.tomorrow().unwrap_or(d).to_datetime(Time::midnight()),
            Moment::DateTime(dt) => dt,
        }
    }
}

impl<'de> Deserialize<'de> for Moment {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let t = s.trim();
        if let Ok(dt) = t.parse::<DateTime>() {
            if t.contains('T') || t.contains(' ') {
                return Ok(Moment::DateTime(dt));
            }
        }
        t.parse::<Date>().map(Moment::Date).map_err(|_| {
            serde::de::Error::custom(format!(
                "invalid date `{s}`: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            ))
        })
    }
}

#[derive(Debug, Clone, Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Holidays {
    #[serde(default)]
    pub dates: Vec<Day>,
    /// iCalendar files of all-day events, relative to the repository root.
    #[serde(default)]
    pub ics: Vec<String>,
}

impl DeployWindow {
    pub fn is_empty(&self) -> bool {
        self.deny.is_empty()
            && self.allow.is_empty()
            && self.freezes.is_empty()
            && self.holidays.dates.is_empty()
            && self.holidays.ics.is_empty()
    }
}

/// Why a holiday calendar could not be read.
#[derive(Debug, thiserror::Error)]
pub enum CalendarError {
    #[error("cannot read holiday calendar {file}: {source}")]
    Read {
        file: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Ics(#[from] crate::inputs::ics::IcsError),
}

impl From<CalendarError> for String {
    fn from(e: CalendarError) -> String {
        e.to_string()
    }
}

/// The holidays of calendar `file` (relative to `root`) in the years a policy evaluated on
/// `around` can be asked about. `run`, `shipgate windows` and `shipgate validate` read it here.
pub fn read_calendar(
    root: &std::path::Path,
    file: &str,
    around: Date,
) -> Result<Vec<crate::inputs::ics::Holiday>, CalendarError> {
    let years = (around.year() - 1)..=(around.year() + 2);
    let text = std::fs::read_to_string(root.join(file)).map_err(|source| CalendarError::Read {
        file: file.to_string(),
        source,
    })?;
    Ok(crate::inputs::ics::parse(&text, file, years)?)
}

/// A policy ready to evaluate: the zone resolved and the holiday calendars read.
pub struct Policy<'p> {
    pub params: &'p DeployWindow,
    pub tz: TimeZone,
    pub tz_name: String,
    pub holidays: BTreeMap<Date, String>,
}

impl<'p> Policy<'p> {
    /// Resolves the zone (check, then settings, then the machine's) and reads `.ics` files from `root`.
    pub fn new(
        params: &'p DeployWindow,
        fallback: &TimeZone,
        root: &std::path::Path,
        around: Date,
    ) -> Result<Self, String> {
        let (tz, tz_name) = match &params.timezone {
            Some(z) => (z.tz.clone(), z.name.clone()),
            None => (
                fallback.clone(),
                fallback.iana_name().unwrap_or("local time").to_string(),
            ),
        };
        let mut holidays: BTreeMap<Date, String> = params
            .holidays
            .dates
            .iter()
            .map(|d| (d.0, "holiday".to_string()))
            .collect();
        for f in &params.holidays.ics {
            for h in read_calendar(root, f, around)? {
                holidays.entry(h.date).or_insert(h.name);
            }
        }
        Ok(Policy {
            params,
            tz,
            tz_name,
            holidays,
        })
    }

    /// The instant at which wall-clock time `dt` happens: in a gap, when the clocks jump past it;
    /// in a fold, the first (`early`) or the second occurrence.
    fn resolve(&self, dt: DateTime, early: bool) -> Option<Timestamp> {
        match self.tz.to_ambiguous_zoned(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
            AmbiguousOffset::Fold { before, after } => {
                if early { before } else { after }.to_timestamp(dt).ok()
            }
            AmbiguousOffset::Gap { after, .. } => {
                // Read with the offset after the jump, `dt` lands before it; the next transition
                // is the jump.
                let probe = after.to_timestamp(dt).ok()?;
                self.tz.following(probe).next().map(|t| t.timestamp())
            }
        }
    }

    /// The occurrence of window `w` that starts on `day`, as instants, if `w` lists that day.
    /// Deny windows are widened in a fold, allow windows narrowed.
    fn occurrence(&self, w: &Window, day: Date, deny: bool) -> Option<(Timestamp, Timestamp)> {
        if !w.days.iter().any(|x| x.0 == day.weekday()) {
            return None;
        }
        let from = w.from.and_then(|c| c.0).unwrap_or(Time::midnight());
        let next_day = |t: Time| -> Option<DateTime> { Some(day.tomorrow().ok()?.to_datetime(t)) };
        let end = match w.to.and_then(|c| c.0) {
            Some(to) if to <= from => next_day(to)?,
            Some(to) => day.to_datetime(to),
            None => next_day(Time::midnight())?,
        };
        Some((
            self.resolve(day.to_datetime(from), deny)?,
            self.resolve(end, !deny)?,
        ))
    }

    /// A whole local day (holidays), as instants.
    fn whole_day(&self, day: Date) -> Option<(Timestamp, Timestamp)> {
        Some((
            self.resolve(day.to_datetime(Time::midnight()), true)?,
            self.resolve(day.tomorrow().ok()?.to_datetime(Time::midnight()), false)?,
        ))
    }

    fn freeze(&self, f: &Freeze) -> Option<(Timestamp, Timestamp)> {
        self.resolve(f.from.start(), true)
            .zip(self.resolve(f.to.end(), false))
    }

    /// Why a deploy at `t` is denied, or `None` when it is allowed.
    pub fn denial_at(&self, t: Timestamp) -> Option<String> {
        let p = self.params;
        let inside = |iv: Option<(Timestamp, Timestamp)>| iv.is_some_and(|(a, b)| a <= t && t < b);
        for f in &p.freezes {
            if inside(self.freeze(f)) {
                return Some(format!("frozen: {}", f.reason));
            }
        }
        let today = t.to_zoned(self.tz.clone()).date();
        // An occurrence that started yesterday can still run (past midnight, or in a fold).
        let days: Vec<Date> = [today.yesterday().ok(), Some(today)]
            .into_iter()
            .flatten()
            .collect();
        for d in &days {
            if let Some(name) = self.holidays.get(d) {
                if inside(self.whole_day(*d)) {
                    return Some(format!("holiday: {name}"));
                }
            }
        }
        for w in &p.deny {
            if days.iter().any(|d| inside(self.occurrence(w, *d, true))) {
                return Some(format!("frozen: {}", describe(w)));
            }
        }
        let allowed = |w: &Window| days.iter().any(|d| inside(self.occurrence(w, *d, false)));
        if !p.allow.is_empty() && !p.allow.iter().any(allowed) {
            let list: Vec<String> = p.allow.iter().map(describe).collect();
            return Some(format!("outside the deploy windows ({})", list.join("; ")));
        }
        None
    }

    /// The instants where the answer can change, for occurrences starting on `day`.
    fn boundaries(&self, day: Date) -> Vec<Timestamp> {
        let mut out = Vec::new();
        let mut add = |iv: Option<(Timestamp, Timestamp)>| {
            if let Some((a, b)) = iv {
                out.push(a);
                out.push(b);
            }
        };
        add(self.whole_day(day));
        for w in &self.params.deny {
            add(self.occurrence(w, day, true));
        }
        for w in &self.params.allow {
            add(self.occurrence(w, day, false));
        }
        for f in &self.params.freezes {
            if f.from.start().date() == day || f.to.end().date() == day {
                add(self.freeze(f));
            }
        }
        out
    }

    /// Candidate instants after `now` where the answer may change, in order.
    fn candidates(&self, now: &Zoned, days: i64) -> Vec<Timestamp> {
        let start = now.date().yesterday().unwrap_or(now.date());
        let mut ts: Vec<Timestamp> = (0..=days + 1)
            .filter_map(|k| start.checked_add(jiff::Span::new().days(k)).ok())
            .flat_map(|day| self.boundaries(day))
            .filter(|t| *t > now.timestamp())
            .collect();
        ts.sort();
        ts.dedup();
        ts
    }

    /// The next moment a deploy is allowed, if there is one within the horizon.
    pub fn next_allowed(&self, now: &Zoned) -> Option<Zoned> {
        self.candidates(now, HORIZON_DAYS)
            .into_iter()
            .find(|t| self.denial_at(*t).is_none())
            .map(|t| t.to_zoned(self.tz.clone()))
    }

    /// Open and closed periods from `now` for `days` days: (start, end, why closed).
    pub fn periods(&self, now: &Zoned, days: i64) -> Vec<(Zoned, Zoned, Option<String>)> {
        let end = now
            .timestamp()
            .checked_add(jiff::SignedDuration::from_hours(24 * days))
            .unwrap_or(now.timestamp());
        let mut out: Vec<(Zoned, Zoned, Option<String>)> = Vec::new();
        let mut cur_start = now.timestamp();
        let mut cur = self.denial_at(cur_start);
        for t in self
            .candidates(now, days + 1)
            .into_iter()
            .take_while(|t| *t < end)
        {
            let d = self.denial_at(t);
            if d != cur {
                out.push((
                    cur_start.to_zoned(self.tz.clone()),
                    t.to_zoned(self.tz.clone()),
                    cur.take(),
                ));
                cur_start = t;
                cur = d;
            }
        }
        out.push((
            cur_start.to_zoned(self.tz.clone()),
            end.to_zoned(self.tz.clone()),
            cur,
        ));
        out
    }
}

pub fn describe(w: &Window) -> String {
    if let Some(r) = &w.reason {
        return r.clone();
    }
    let days: Vec<&str> = w.days.iter().map(|d| day_name(d.0)).collect();
    let days = days.join(", ");
    match (w.from.and_then(|c| c.0), w.to) {
        (None, None) => days,
        (Some(_), None) => format!("{days} after {}", w.from.unwrap()),
        (_, Some(to)) => format!(
            "{days} {}–{to}",
            w.from.unwrap_or(Clock(Some(Time::midnight())))
        ),
    }
}

fn day_name(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "Mon",
        Weekday::Tuesday => "Tue",
        Weekday::Wednesday => "Wed",
        Weekday::Thursday => "Thu",
        Weekday::Friday => "Fri",
        Weekday::Saturday => "Sat",
        Weekday::Sunday => "Sun",
    }
}

/// "2d 8h", "3h 15m", "45m".
pub fn wait(from: &Zoned, to: &Zoned) -> String {
    let secs = (to.timestamp().as_second() - from.timestamp().as_second()).max(0);
    let (d, h, m) = (secs / 86_400, secs % 86_400 / 3600, secs % 3600 / 60);
    match (d, h) {
        (0, 0) => format!("{}m", m.max(1)),
        (0, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// A local time for people: `Mon 2026-11-23 00:00`.
pub fn local(z: &Zoned) -> String {
    z.strftime("%a %Y-%m-%d %H:%M").to_string()
}

impl Kind for DeployWindow {
    const KEY: &'static str = "deploy-window";
    const INPUT: Input = Input::Clock;
    const FIELDS: &'static [&'static str] = &["reason", "next", "wait", "timezone", "now"];

    fn describe(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some(z) = &self.timezone {
            lines.push(format!("time zone: {}", z.name));
        }
        for w in &self.deny {
            lines.push(format!("denied: {}", describe(w)));
        }
        for w in &self.allow {
            lines.push(format!("allowed only: {}", describe(w)));
        }
        for f in &self.freezes {
            lines.push(format!("freeze: {}", f.reason));
        }
        if !self.holidays.dates.is_empty() || !self.holidays.ics.is_empty() {
            lines.push(format!(
                "holidays: {} date(s){}",
                self.holidays.dates.len(),
                if self.holidays.ics.is_empty() {
                    String::new()
                } else {
                    format!(", calendars {}", self.holidays.ics.join(", "))
                }
            ));
        }
        if self.is_empty() {
            lines.push(
                "no rules yet: add deny/allow windows, freezes or holidays in .shipgate.yaml"
                    .into(),
            );
        }
        lines
    }

    fn validate_files(
        &self,
        root: &std::path::Path,
        today: Date,
    ) -> Vec<crate::error::ConfigError> {
        use crate::error::ConfigError;
        let help = "fix the calendar, or list those holidays under `holidays: {dates: [...]}`";
        self.holidays
            .ics
            .iter()
            .filter_map(|f| read_calendar(root, f, today).err())
            .map(|e| match e {
                CalendarError::Read { file, source } => {
                    ConfigError::new(file, format!("cannot read this holiday calendar: {source}"))
                        .help("holiday calendars are read relative to the repository root")
                }
                CalendarError::Ics(e) => ConfigError::new(e.file, e.problem)
                    .at(Some(e.line), None)
                    .help(help),
            })
            .collect()
    }

    fn evaluate(&self, check: &Meta, view: &PassView<'_>) -> Outcome {
        match Policy::new(self, view.tz, &view.repo.root, view.now.date()) {
            Ok(policy) => evaluate(check, &policy, view.now),
            Err(e) => Outcome::error(e),
        }
    }

    fn calendar(&self, cx: &CalendarCx<'_>) -> Option<Result<Schedule, String>> {
        let policy = match Policy::new(self, cx.fallback, cx.root, cx.now.date()) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let here = cx.now.with_time_zone(policy.tz.clone());
        let periods = if self.is_empty() {
            Vec::new()
        } else {
            policy
                .periods(&here, cx.days)
                .into_iter()
                .map(|(start, end, why)| Period {
                    start: local(&start),
                    end: local(&end),
                    length: wait(&start, &end),
                    closed: why,
                })
                .collect()
        };
        Some(Ok(Schedule {
            timezone: policy.tz_name.clone(),
            always_open: self.is_empty(),
            periods,
        }))
    }
}

fn evaluate(check: &Meta, policy: &Policy<'_>, now: &Zoned) -> Outcome {
    let here = now.with_time_zone(policy.tz.clone());
    let Some(reason) = policy.denial_at(here.timestamp()) else {
        return Outcome::pass();
    };
    let (next, wait_s) = match policy.next_allowed(&here) {
        Some(n) => (
            format!("next window opens {} {}", local(&n), policy.tz_name),
            wait(&here, &n),
        ),
        None => (
            format!("no deploy window in the next {HORIZON_DAYS} days"),
            String::new(),
        ),
    };
    let fields = [
        ("reason", reason.clone()),
        ("next", next.clone()),
        ("wait", wait_s.clone()),
        ("timezone", policy.tz_name.clone()),
        ("now", local(&here)),
    ];
    let default = if wait_s.is_empty() {
        format!("{reason} — {next}")
    } else {
        format!("{reason} — {next}, in {wait_s}")
    };
    Outcome::findings(vec![Finding {
        message: check.render(|| default, &fields),
        location: Location {
            name: Some(policy.tz_name.clone()),
            ..Location::new(Input::Clock)
        },
        evidence: Some(format!("now: {} {}", local(&here), policy.tz_name)),
    }])
}
