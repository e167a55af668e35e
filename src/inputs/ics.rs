//! Holidays from an iCalendar file (RFC 5545): the all-day `VEVENT`s of a team's or a country's
//! holiday calendar. Lines are unfolded; `DTSTART;VALUE=DATE` with an optional exclusive `DTEND`
//! makes one or more holiday dates; `RRULE:FREQ=YEARLY` repeats a fixed date. Timed events are not
//! holidays and are skipped. A malformed file is an error naming the file and the line.

use jiff::civil::Date;

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
) -> Result<Vec<Holiday>, String> {
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
        return Err(format!(
            "{label}:1: not an iCalendar file (it must start with BEGIN:VCALENDAR)"
        ));
    }
    let mut out = Vec::new();
    let mut event: Option<Event> = None;
    for (line, l) in &logical {
        let (head, value) = match l.split_once(':') {
            Some(p) => p,
            None if l.trim().is_empty() => continue,
            None => return Err(format!("{label}:{line}: expected NAME:value")),
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
                    .ok_or_else(|| format!("{label}:{line}: END:VEVENT without BEGIN:VEVENT"))?;
                e.expand(label, &years, &mut out)?;
            }
            (_, v) => {
                if let Some(e) = event.as_mut() {
                    match name.as_str() {
                        "DTSTART" => e.start = Some((*line, v.to_string())),
                        "DTEND" => e.end = Some((*line, v.to_string())),
                        "SUMMARY" => e.summary = v.replace("\\,", ",").replace("\\;", ";"),
                        "RRULE" => e.rrule = Some((*line, v.to_ascii_uppercase())),
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(e) = event {
        return Err(format!(
            "{label}:{}: BEGIN:VEVENT is never closed with END:VEVENT",
            e.line
        ));
    }
    out.sort_by_key(|h| h.date);
    Ok(out)
}

/// The longest all-day event taken as holidays.
const MAX_EVENT_DAYS: i32 = 366;

#[derive(Default)]
struct Event {
    line: usize,
    start: Option<(usize, String)>,
    end: Option<(usize, String)>,
    summary: String,
    rrule: Option<(usize, String)>,
}

impl Event {
    fn expand(
        self,
        label: &str,
        years: &std::ops::RangeInclusive<i16>,
        out: &mut Vec<Holiday>,
    ) -> Result<(), String> {
        let (sline, start) = self
            .start
            .ok_or_else(|| format!("{label}:{}: VEVENT has no DTSTART", self.line))?;
        if start.contains('T') {
            return Ok(()); // a timed event, not an all-day holiday
        }
        let start = date(&start).ok_or_else(|| {
            format!("{label}:{sline}: DTSTART `{start}` is not a date (YYYYMMDD)")
        })?;
        let days = match &self.end {
            Some((eline, e)) if !e.contains('T') => {
                let end = date(e).ok_or_else(|| {
                    format!("{label}:{eline}: DTEND `{e}` is not a date (YYYYMMDD)")
                })?;
                let n: i32 = start.until(end).map(|s| s.get_days()).unwrap_or(1);
                if n < 1 {
                    return Err(format!("{label}:{eline}: DTEND is not after DTSTART"));
                }
                // Found by fuzzing: one event from year 1 to 9999 made 3.6 million holidays.
                if n > MAX_EVENT_DAYS {
                    return Err(format!(
                        "{label}:{eline}: an all-day event of {n} days is not a holiday (at most {MAX_EVENT_DAYS}); use a freeze for long periods"
                    ));
                }
                n
            }
            _ => 1,
        };
        let name = if self.summary.is_empty() {
            "holiday".to_string()
        } else {
            self.summary
        };
        let mut starts = vec![start];
        if let Some((rline, rule)) = &self.rrule {
            let parts: Vec<(&str, &str)> =
                rule.split(';').filter_map(|p| p.split_once('=')).collect();
            let freq = parts.iter().find(|(k, _)| *k == "FREQ").map(|(_, v)| *v);
            let unsupported = parts
                .iter()
                .any(|(k, _)| !matches!(*k, "FREQ" | "COUNT" | "UNTIL" | "INTERVAL" | "WKST"));
            if freq != Some("YEARLY") || unsupported {
                return Err(format!(
                    "{label}:{rline}: RRULE `{rule}` is not supported: only FREQ=YEARLY on a fixed date (list other holidays date by date)"
                ));
            }
            let count: Option<i16> = parts
                .iter()
                .find(|(k, _)| *k == "COUNT")
                .and_then(|(_, v)| v.parse().ok());
            let until = parts
                .iter()
                .find(|(k, _)| *k == "UNTIL")
                .and_then(|(_, v)| date(&v[..v.len().min(8)]));
            let interval: i16 = parts
                .iter()
                .find(|(k, _)| *k == "INTERVAL")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(1)
                .max(1);
            starts.clear();
            let mut n = 0;
            let mut y = start.year();
            while y <= *years.end() {
                if count.is_some_and(|c| n >= c) {
                    break;
                }
                if let Ok(d) = Date::new(y, start.month(), start.day()) {
                    if until.is_some_and(|u| d > u) {
                        break;
                    }
                    if y >= *years.start() {
                        starts.push(d);
                    }
                }
                n += 1;
                y += interval;
            }
        }
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
            .starts_with("x.ics:4: an all-day event of"));
        // A yearly event from long ago keeps only the years asked about.
        let yearly = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:00011225\nRRULE:FREQ=YEARLY\nEND:VEVENT\nEND:VCALENDAR\n";
        assert_eq!(parse(yearly, "x.ics", 2026..=2027).unwrap().len(), 2);
    }

    #[test]
    fn errors_name_the_line() {
        assert!(parse("hello", "h.ics", 2026..=2026)
            .unwrap_err()
            .starts_with("h.ics:1:"));
        let bad = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-12-25\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(bad, "h.ics", 2026..=2026)
            .unwrap_err()
            .starts_with("h.ics:3: DTSTART"));
        let rule = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\nRRULE:FREQ=YEARLY;BYDAY=4TH\nEND:VEVENT\nEND:VCALENDAR\n";
        assert!(parse(rule, "h.ics", 2026..=2026)
            .unwrap_err()
            .starts_with("h.ics:4: RRULE"));
        let open = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261125\n";
        assert!(parse(open, "h.ics", 2026..=2026)
            .unwrap_err()
            .contains("never closed"));
    }
}
