//! Holidays from an iCalendar file (RFC 5545): the all-day `VEVENT`s of a team's or a country's
//! holiday calendar. Lines are unfolded; `DTSTART;VALUE=DATE` with an optional exclusive `DTEND`
//! makes one or more holiday dates, and so does an event from midnight to midnight in its `TZID`
//! (the dates are that zone's). Recurrence (`RRULE` with any of RFC 5545's parts: `BYDAY=-1MO`,
//! `BYMONTH`, `BYMONTHDAY`, `BYSETPOS`, `COUNT`, `UNTIL` …, `RDATE`, `EXDATE`) is expanded by the
//! `rrule` crate; its chrono dates are turned into jiff dates here, at the edge. Other timed events
//! are not holidays and are skipped. A malformed file or rule is an error naming the file and the
//! line; `shipgate validate` reads the calendars with this same parser.

use jiff::civil::Date;

/// A holiday calendar that cannot be read: the file, the line, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {problem}")]
pub struct IcsError {
    pub file: String,
    pub line: usize,
    pub problem: String,
}

impl IcsError {
    fn at(file: &str, line: usize, problem: impl Into<String>) -> Self {
        IcsError {
            file: file.to_string(),
            line,
            problem: problem.into(),
        }
    }
}

impl From<IcsError> for String {
    fn from(e: IcsError) -> String {
        e.to_string()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

/// Parses `text`; yearly events are expanded over `years`.
pub fn parse(
    text: &str,
    label: &str,
    years: std::ops::RangeInclusive<i16>,
) -> Result<Vec<Holiday>, IcsError> {
    // Unfold: a line starting with a space or tab continues the previous one.
    let mut logical: Vec<(usize, String)> = Vec::new();
    for (i, raw) in text.split('\n').enumerate() {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if let Some(cont) = raw.strip_prefix([' ', '\t']) {
            if let Some(last) = logical.last_mut() {
                last.1.push_str(cont);
                continue;
            }
        }
        logical.push((i + 1, raw.to_string()));
    }
    let first = logical.iter().find(|(_, l)| !l.trim().is_empty());
    if !first.is_some_and(|(_, l)| l.trim().eq_ignore_ascii_case("BEGIN:VCALENDAR")) {
        return Err(IcsError::at(
            label,
            1,
            "not an iCalendar file (it must start with BEGIN:VCALENDAR)",
        ));
    }
    let mut out = Vec::new();
    let mut event: Option<Event> = None;
    for (line, l) in &logical {
        let (head, value) = match l.split_once(':') {
            Some(p) => p,
            None if l.trim().is_empty() => continue,
            None => return Err(IcsError::at(label, *line, "expected NAME:value")),
        };
        let name = head
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_uppercase();
        match (name.as_str(), value.trim()) {
            ("BEGIN", v) if v.eq_ignore_ascii_case("VEVENT") => {
                event = Some(Event {
                    line: *line,
                    ..Event::default()
                });
            }
            ("END", v) if v.eq_ignore_ascii_case("VEVENT") => {
                let e = event
                    .take()
                    .ok_or_else(|| IcsError::at(label, *line, "END:VEVENT without BEGIN:VEVENT"))?;
                e.expand(label, &years, &mut out)?;
            }
            (_, v) => {
                if let Some(e) = event.as_mut() {
                    let prop = || Prop {
                        line: *line,
                        tzid: tzid(head),
                        value: v.to_string(),
                    };
                    match name.as_str() {
                        "DTSTART" => e.start = Some(prop()),
                        "DTEND" => e.end = Some(prop()),
                        "SUMMARY" => e.summary = v.replace("\\,", ",").replace("\\;", ";"),
                        "RRULE" => e.rrule = Some((*line, v.to_ascii_uppercase())),
                        "EXDATE" => e.exdates.push(prop()),
                        "RDATE" => e.rdates.push(prop()),
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(e) = event {
        return Err(IcsError::at(
            label,
            e.line,
            "BEGIN:VEVENT is never closed with END:VEVENT",
        ));
    }
    out.sort_by_key(|h| h.date);
    Ok(out)
}

/// The longest all-day event taken as holidays.
const MAX_EVENT_DAYS: i32 = 366;

/// The most occurrences of one rule read before the years asked about end.
const MAX_OCCURRENCES: usize = 100_000;

/// One date property: its line, its `TZID` parameter, its value.
#[derive(Debug, Clone)]
struct Prop {
    line: usize,
    tzid: Option<String>,
    value: String,
}

/// The `TZID` parameter of a property's head (`DTSTART;TZID=Europe/Berlin`).
fn tzid(head: &str) -> Option<String> {
    head.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("TZID")
            .then(|| v.trim().trim_matches('"').to_string())
    })
}

/// A DATE (`20261224`) or DATE-TIME (`20261224T000000`, with `Z` in UTC) value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct When {
    date: Date,
    /// `HHMMSS`, for a DATE-TIME.
    time: Option<u32>,
    utc: bool,
}

impl When {
    fn parse(v: &str) -> Option<When> {
        let v = v.trim();
        let (d, rest) = v.split_at_checked(8)?;
        let date = date(d)?;
        if rest.is_empty() {
            return Some(When {
                date,
                time: None,
                utc: false,
            });
        }
        let t = rest.strip_prefix(['T', 't'])?;
        let (t, utc) = match t.strip_suffix(['Z', 'z']) {
            Some(t) => (t, true),
            None => (t, false),
        };
        if t.len() != 6 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(When {
            date,
            time: t.parse().ok(),
            utc,
        })
    }
}

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<Prop>,
    end: Option<Prop>,
    summary: String,
    rrule: Option<(usize, String)>,
    exdates: Vec<Prop>,
    rdates: Vec<Prop>,
}

/// How the dates of an event's occurrences are told: all-day dates, or midnight in a zone.
struct Zone(Option<String>);

impl Zone {
    /// `value` (a date, or a date-time of this zone) as an rrule content line for `name`.
    fn line(&self, name: &str, p: &Prop) -> Option<String> {
        let mut out = Vec::new();
        let tz = p.tzid.clone().or_else(|| self.0.clone());
        for v in p.value.split(',') {
            let w = When::parse(v)?;
            let (y, m, d) = (w.date.year(), w.date.month(), w.date.day());
            let time = w.time.unwrap_or(0);
            out.push(match (&tz, w.utc) {
                (_, true) => format!("{name}:{y:04}{m:02}{d:02}T{time:06}Z"),
                (Some(tz), false) => format!("{name};TZID={tz}:{y:04}{m:02}{d:02}T{time:06}"),
                (None, false) => format!("{name}:{y:04}{m:02}{d:02}T{time:06}Z"),
            });
        }
        Some(out.join("\n"))
    }
}

impl Event {
    fn expand(
        self,
        label: &str,
        years: &std::ops::RangeInclusive<i16>,
        out: &mut Vec<Holiday>,
    ) -> Result<(), IcsError> {
        let start_p = self
            .start
            .clone()
            .ok_or_else(|| IcsError::at(label, self.line, "VEVENT has no DTSTART"))?;
        let sline = start_p.line;
        let start = When::parse(&start_p.value).ok_or_else(|| {
            IcsError::at(
                label,
                sline,
                format!(
                    "DTSTART `{}` is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS)",
                    start_p.value
                ),
            )
        })?;
        let end = match &self.end {
            Some(e) => Some((
                e.line,
                When::parse(&e.value).ok_or_else(|| {
                    IcsError::at(
                        label,
                        e.line,
                        format!(
                            "DTEND `{}` is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS)",
                            e.value
                        ),
                    )
                })?,
                e.tzid.clone(),
            )),
            None => None,
        };
        // All day: DATE values, or midnight to midnight in one zone.
        let zone = match (start.time, &end) {
            (None, _) => Zone(None),
            (Some(0), Some((_, e, etz)))
                if e.time == Some(0) && e.utc == start.utc && *etz == start_p.tzid =>
            {
                Zone(start_p.tzid.clone())
            }
            _ => return Ok(()), // a timed event, not an all-day holiday
        };
        let days = match &end {
            Some((eline, e, _)) => {
                let n: i32 = start.date.until(e.date).map(|s| s.get_days()).unwrap_or(1);
                if n < 1 {
                    return Err(IcsError::at(label, *eline, "DTEND is not after DTSTART"));
                }
                // Found by fuzzing: one event from year 1 to 9999 made 3.6 million holidays.
                if n > MAX_EVENT_DAYS {
                    return Err(IcsError::at(
                        label,
                        *eline,
                        format!("an all-day event of {n} days is not a holiday (at most {MAX_EVENT_DAYS}); use a freeze for long periods"),
                    ));
                }
                n
            }
            None => 1,
        };
        let name = if self.summary.is_empty() {
            "holiday".to_string()
        } else {
            self.summary.clone()
        };
        let starts = if self.rrule.is_some() || !self.rdates.is_empty() {
            self.occurrences(label, &zone, &start_p, years)?
        } else {
            vec![start.date]
        };
        for s in starts {
            for k in 0..days {
                if let Ok(d) = s.checked_add(jiff::Span::new().days(k)) {
                    // Only the years a policy can be asked about are kept.
                    if years.contains(&d.year()) {
                        out.push(Holiday {
                            date: d,
                            name: name.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The start dates of a recurring event up to the end of `years`, by the `rrule` crate.
    fn occurrences(
        &self,
        label: &str,
        zone: &Zone,
        start: &Prop,
        years: &std::ops::RangeInclusive<i16>,
    ) -> Result<Vec<Date>, IcsError> {
        let (line, what) = match &self.rrule {
            Some((l, r)) => (*l, format!("RRULE `{r}`")),
            None => (self.line, "the event's RDATE".to_string()),
        };
        let bad = |why: String| {
            IcsError::at(
                label,
                line,
                format!(
                    "{what} cannot be read: {why} (RFC 5545 recurrence: FREQ, BYDAY such as -1MO or 4TH, BYMONTH, BYMONTHDAY, BYSETPOS, COUNT, UNTIL; or list the dates one by one)"
                ),
            )
        };
        if let Some((_, rule)) = &self.rrule {
            // The rrule crate takes these and makes no occurrence: a rule that says nothing.
            for zero in ["INTERVAL=0", "COUNT=0"] {
                if rule.split(';').any(|p| p.trim() == zero) {
                    return Err(bad(format!("{zero} is not a positive number")));
                }
            }
        }
        let mut text = zone
            .line("DTSTART", start)
            .ok_or_else(|| bad("DTSTART is not a date".into()))?;
        if let Some((_, rule)) = &self.rrule {
            text.push_str("\nRRULE:");
            text.push_str(&until_in_utc(rule, zone));
        }
        for (name, props) in [("EXDATE", &self.exdates), ("RDATE", &self.rdates)] {
            for p in props {
                let l = zone.line(name, p).ok_or_else(|| {
                    IcsError::at(
                        label,
                        p.line,
                        format!(
                            "{name} `{}` is not a list of dates (YYYYMMDD) or date-times",
                            p.value
                        ),
                    )
                })?;
                text.push('\n');
                text.push_str(&l);
            }
        }
        let set: rrule::RRuleSet = text
            .parse()
            .map_err(|e: rrule::RRuleError| bad(e.to_string()))?;
        let mut dates = Vec::new();
        for (n, dt) in set.into_iter().enumerate() {
            if n >= MAX_OCCURRENCES {
                return Err(bad(format!(
                    "it recurs more than {MAX_OCCURRENCES} times before {} ends; a holiday recurs at most daily",
                    years.end()
                )));
            }
            // chrono → jiff, at the edge: the occurrence's date in its own zone.
            let d: Date = dt
                .date_naive()
                .format("%Y-%m-%d")
                .to_string()
                .parse()
                .map_err(|_| {
                    bad(format!(
                        "an occurrence falls outside the years jiff knows ({dt})"
                    ))
                })?;
            if d.year() > *years.end() {
                break;
            }
            if d.year() >= *years.start() {
                dates.push(d);
            }
        }
        Ok(dates)
    }
}

/// `UNTIL` as the `rrule` crate takes it with a start in UTC or in a zone: a UTC date-time (a
/// DATE, or a floating time of an all-day event, is read as the end of that day in UTC).
fn until_in_utc(rule: &str, zone: &Zone) -> String {
    rule.split(';')
        .map(|part| match part.split_once('=') {
            Some(("UNTIL", v)) => match When::parse(v) {
                Some(w) if w.time.is_none() => {
                    let (y, m, d) = (w.date.year(), w.date.month(), w.date.day());
                    format!("UNTIL={y:04}{m:02}{d:02}T235959Z")
                }
                Some(w) if !w.utc && zone.0.is_none() => format!("UNTIL={v}Z"),
                _ => part.to_string(),
            },
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn date(s: &str) -> Option<Date> {
    let s = s.trim();
    if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Date::new(
        s[..4].parse().ok()?,
        s[4..6].parse().ok()?,
        s[6..8].parse().ok()?,
    )
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    #[test]
    fn all_day_events_ranges_and_yearly_rules() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\r\n  break\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20200501\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:Labour Day\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:20261102T100000Z\r\nSUMMARY:Meeting\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let h = parse(ics, "h.ics", 2026..=2027).unwrap();
        let dates: Vec<Date> = h.iter().map(|h| h.date).collect();
        assert_eq!(
            dates,
            [
                date(2026, 5, 1),
                date(2026, 12, 24),
                date(2026, 12, 25),
                date(2026, 12, 26),
                date(2027, 5, 1)
            ]
        );
        assert_eq!(h[1].name, "Christmas break");
    }

    /// Found by the `ics` fuzz target: an event spanning millennia expanded to millions of days.
    #[test]
    fn a_millennia_long_event_is_an_error_not_millions_of_days() {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00010101\nDTEND;VALUE=DATE:99991231\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(ics, "x.ics", 2026..=2027)
            .unwrap_err()
            .to_string()
            .starts_with("x.ics:4: an all-day event of"));
        // A yearly event from long ago keeps only the years asked about.
        let yearly = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00011225\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(yearly, "x.ics", 2026..=2027).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("hello", "h.ics", 2026..=2026)
            .unwrap_err()
            .to_string()
            .starts_with("h.ics:1:"));
        let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-12-25\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(bad, "h.ics", 2026..=2026)
            .unwrap_err()
            .to_string()
            .starts_with("h.ics:3: DTSTART"));
        for bad in [
            "FREQ=FORTNIGHTLY",
            "FREQ=YEARLY;BYDAY=5XX",
            "FREQ=YEARLY;COUNT=x",
        ] {
            let rule = format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:{bad}\nEND:VEVENT\nEND:VCALENDAR\n");
            let e = parse(&rule, "h.ics", 2026..=2026).unwrap_err().to_string();
            assert!(e.starts_with("h.ics:4: RRULE"), "{e}");
            assert!(e.contains("cannot be read"), "{e}");
        }
        let exdate = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:FREQ=YEARLY\nEXDATE:2026-11-25\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(exdate, "h.ics", 2026..=2026)
            .unwrap_err()
            .to_string()
            .starts_with("h.ics:5: EXDATE"));
        // A rule that recurs without end every second is bounded, and an error.
        let secondly = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:FREQ=SECONDLY\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(secondly, "h.ics", 2026..=2026)
            .unwrap_err()
            .to_string()
            .contains("recurs more than"));
        let open = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\n";
        assert!(parse(open, "h.ics", 2026..=2026)
            .unwrap_err()
            .to_string()
            .contains("never closed"));
    }

    fn event(lines: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\n{lines}END:VEVENT\r\nEND:VCALENDAR\r\n")
    }

    fn dates(lines: &str) -> Vec<Date> {
        parse(&event(lines), "h.ics", 2026..=2027)
            .unwrap()
            .into_iter()
            .map(|h| h.date)
            .collect()
    }

    /// Floating holidays by RFC 5545 recurrence, expanded by the rrule crate.
    #[test]
    fn floating_holidays_by_weekday_position_and_set_position() {
        // US Memorial Day: the last Monday of May.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20200525\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO\r\n"),
            [date(2026, 5, 25), date(2027, 5, 31)]
        );
        // Thanksgiving: the fourth Thursday of November, both spellings.
        for rule in [
            "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH",
            "FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4",
        ] {
            assert_eq!(
                dates(&format!("DTSTART;VALUE=DATE:20191128\r\nRRULE:{rule}\r\n")),
                [date(2026, 11, 26), date(2027, 11, 25)],
                "{rule}"
            );
        }
        // BYMONTHDAY, monthly: the first of every month.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=MONTHLY;BYMONTHDAY=1\r\n").len(),
            24
        );
        // Lower-case and folded lines are the same rule.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20200525\r\nRRULE:freq=yearly;bymonth=5;\r\n byday=-1mo\r\n"),
            [date(2026, 5, 25), date(2027, 5, 31)]
        );
    }

    #[test]
    fn count_until_exdate_rdate_and_several_days() {
        // COUNT counts from DTSTART, even before the years asked about.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20251224\r\nRRULE:FREQ=YEARLY;COUNT=2\r\n"),
            [date(2026, 12, 24)]
        );
        // UNTIL as a date is inclusive.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20251224\r\nRRULE:FREQ=YEARLY;UNTIL=20261224\r\n"),
            [date(2026, 12, 24)]
        );
        // EXDATE removes an occurrence; RDATE adds one; DTEND makes each occurrence two days.
        assert_eq!(
            dates("DTSTART;VALUE=DATE:20251224\r\nDTEND;VALUE=DATE:20251226\r\nRRULE:FREQ=YEARLY\r\nEXDATE;VALUE=DATE:20261224\r\nRDATE;VALUE=DATE:20270601\r\n"),
            [date(2027, 6, 1), date(2027, 6, 2), date(2027, 12, 24), date(2027, 12, 25)]
        );
    }

    /// An event from midnight to midnight in its TZID is all-day there: its dates are that
    /// zone's, whatever UTC says; EXDATE in the zone too. Other timed events are not holidays.
    #[test]
    fn tzid_midnight_to_midnight_is_all_day_in_that_zone() {
        assert_eq!(
            dates("DTSTART;TZID=Pacific/Auckland:20251225T000000\r\nDTEND;TZID=Pacific/Auckland:20251226T000000\r\nRRULE:FREQ=YEARLY\r\nEXDATE;TZID=Pacific/Auckland:20271225T000000\r\n"),
            [date(2026, 12, 25)]
        );
        assert_eq!(
            dates("DTSTART:20261225T000000Z\r\nDTEND:20261226T000000Z\r\n"),
            [date(2026, 12, 25)]
        );
        assert!(dates("DTSTART;TZID=Europe/Berlin:20261225T090000\r\nDTEND;TZID=Europe/Berlin:20261225T100000\r\nRRULE:FREQ=YEARLY\r\n").is_empty());
        // An unknown zone is an error, not a guess.
        let e = parse(
            &event("DTSTART;TZID=Mars/Olympus:20261225T000000\r\nDTEND;TZID=Mars/Olympus:20261226T000000\r\nRRULE:FREQ=YEARLY\r\n"),
            "h.ics",
            2026..=2027,
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("h.ics:6: RRULE"), "{e}");
    }

    /// Rules the recurrence parser refuses, or that recur without end, are errors at the RRULE's
    /// line, never a panic or a silent nothing.
    #[test]
    fn hostile_rules_are_errors_at_their_line() {
        for (start, rule) in [
            ("20261126", "FREQ=YEARLY;BYSETPOS=0"),
            ("20261126", "FREQ=YEARLY;BYMONTHDAY=-40"),
            ("20261126", "FREQ=YEARLY;INTERVAL=0"),
            ("20261126", "FREQ=YEARLY;COUNT=0"),
            ("20261126", "FREQ=YEARLY;INTERVAL=99999999999"),
            ("20261126", "FREQ=YEARLY;UNTIL=20200101"),
            ("20261126", "FREQ=MONTHLY;BYDAY=+6MO"),
            ("20261126", "FREQ=YEARLY;UNTIL=99999999T999999Z"),
            ("00010101", "FREQ=MINUTELY"),
            ("20261126", ";;;="),
        ] {
            let ics = format!("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:{start}\nRRULE:{rule}\nEND:VEVENT\nEND:VCALENDAR\n");
            let e = parse(&ics, "x.ics", 2020..=2030).unwrap_err();
            assert_eq!(e.line, 4, "{rule}: {e}");
        }
        // One that never happens is no holiday, and no error: February 30th.
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260101\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(ics, "x.ics", 2020..=2030).unwrap(), []);
    }
}
