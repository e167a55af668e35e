//! Deploy windows: zones, an instant that is Friday in one zone and Saturday in another,
//! midnight-spanning windows, daylight-saving gaps and folds in both hemispheres, freezes,
//! holidays (dates and .ics), overrides, the "next window" message, `shipgate windows`.

use crate::util::{check, status, TestRepo};

fn repo(config: &str) -> TestRepo {
    let t = TestRepo::new();
    t.write("README.md", "x\n").write(".shipgate.yaml", config);
    t.commit("init");
    t
}

/// The status of `id` at `at`, with the first finding's message.
fn at(t: &TestRepo, id: &str, when: &str) -> (String, String) {
    let (_, r) = t.json(&["--stage", "release", "--only", id, "--at", when]);
    let c = check(&r, id);
    let msg = c["findings"]
        .get(0)
        .map(|f| f["message"].as_str().unwrap().to_string())
        .unwrap_or_default();
    (c["status"].as_str().unwrap().to_string(), msg)
}

#[test]
fn friday_afternoon_in_berlin_with_the_next_window() {
    let t = repo("settings:\n  timezone: Europe/Berlin\n");
    let (code, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "friday-deploys",
        "--at",
        "2026-11-20T16:00:00+01:00",
    ]);
    assert_eq!(code, 1);
    assert_eq!(
        check(&r, "friday-deploys")["findings"][0]["message"],
        "frozen: Friday after 12:00 — next window opens Mon 2026-11-23 00:00 Europe/Berlin, in 2d 8h"
    );
    assert_eq!(
        check(&r, "friday-deploys")["findings"][0]["location"]["input"],
        "clock"
    );
    assert_eq!(
        at(&t, "friday-deploys", "2026-11-20T11:59:00+01:00").0,
        "pass"
    );
    assert_eq!(
        at(&t, "friday-deploys", "2026-11-22T23:59:00+01:00")
            .1
            .split(" —")
            .next()
            .unwrap(),
        "frozen: the weekend"
    );
    assert_eq!(
        at(&t, "friday-deploys", "2026-11-23T00:00:00+01:00").0,
        "pass"
    );
    // The zone matters, not the offset the instant was written with.
    assert_eq!(at(&t, "friday-deploys", "2026-11-20T10:30:00Z").0, "pass"); // 11:30 in Berlin
    assert_eq!(at(&t, "friday-deploys", "2026-11-20T11:30:00Z").0, "fail"); // 12:30 in Berlin
}

#[test]
fn friday_only_at_release_and_overridable() {
    let t = repo("settings:\n  timezone: Europe/Berlin\n");
    for stage in ["ci", "pre-push"] {
        // (This repository has no remote: at pre-push the commit checks cannot tell what a push
        // would send, and end in error; see git.rs.)
        let (code, r) = t.json(&[
            "--stage",
            stage,
            "--skip",
            "unreviewed-commits,wip-commits",
            "--at",
            "2026-11-20T16:00:00+01:00",
        ]);
        assert_eq!(code, 0, "{r:#}");
        assert_eq!(status(&r, "friday-deploys"), "skip");
    }
    let (code, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        "friday-deploys",
        "--at",
        "2026-11-20T16:00:00+01:00",
        "--override",
        "friday-deploys=hotfix for incident 4211",
    ]);
    assert_eq!(code, 0);
    assert_eq!(status(&r, "friday-deploys"), "overridden");
    assert_eq!(
        check(&r, "friday-deploys")["override"]["reason"],
        "hotfix for incident 4211"
    );
}

#[test]
fn one_instant_is_friday_in_one_zone_and_saturday_in_another() {
    let cfg = "builtins: false\nextra-checks: [checks/]\n";
    let t = repo(cfg);
    for (id, tz) in [("ny", "America/New_York"), ("syd", "Australia/Sydney")] {
        t.write(
            &format!("checks/{id}.yaml"),
            format!("id: fri-{id}\ntitle: t\nseverity: error\ndeploy-window:\n  timezone: {tz}\n  deny:\n    - {{days: [fri], from: \"12:00\", reason: Friday afternoon}}\n    - {{days: [sat, sun], reason: the weekend}}\n"),
        );
    }
    // Fri 18:30 in New York, Sat 10:30 in Sydney.
    let when = "2026-11-20T23:30:00Z";
    assert!(at(&t, "fri-ny", when).1.starts_with(
        "frozen: Friday afternoon — next window opens Mon 2026-11-23 00:00 America/New_York"
    ));
    assert!(at(&t, "fri-syd", when).1.starts_with(
        "frozen: the weekend — next window opens Mon 2026-11-23 00:00 Australia/Sydney"
    ));
    // Thu 22:00 in New York (open), Fri 14:00 in Sydney (closed).
    let when = "2026-11-20T03:00:00Z";
    assert_eq!(at(&t, "fri-ny", when).0, "pass");
    assert_eq!(at(&t, "fri-syd", when).0, "fail");
}

fn window_repo(tz: &str, rules: &str) -> TestRepo {
    let t = repo("builtins: false\nextra-checks: [checks/]\n");
    t.write(
        "checks/w.yaml",
        format!("id: w\ntitle: t\nseverity: error\ndeploy-window:\n  timezone: {tz}\n{rules}"),
    );
    t
}

#[test]
fn a_window_may_run_past_midnight() {
    let t = window_repo("UTC", "  deny:\n    - {days: [mon, tue, wed, thu, fri], from: \"22:00\", to: \"06:00\", reason: nightly batch}\n");
    assert_eq!(at(&t, "w", "2026-11-17T03:00:00Z").0, "fail"); // Tue 03:00, from Monday's window
    assert_eq!(at(&t, "w", "2026-11-17T06:00:00Z").0, "pass"); // Tue 06:00: the end is exclusive
    assert_eq!(at(&t, "w", "2026-11-21T03:00:00Z").0, "fail"); // Sat 03:00, from Friday's window
    assert_eq!(at(&t, "w", "2026-11-23T03:00:00Z").0, "pass"); // Mon 03:00: Sunday is not listed
    let (_, msg) = at(&t, "w", "2026-11-17T23:00:00Z");
    assert_eq!(
        msg,
        "frozen: nightly batch — next window opens Wed 2026-11-18 06:00 UTC, in 7h 0m"
    );
}

#[test]
fn allow_windows_freezes_and_holidays() {
    let t = window_repo(
        "Europe/Berlin",
        "  allow:\n    - {days: [mon, tue, wed, thu], from: \"09:00\", to: \"16:00\"}\n  freezes:\n    - {from: 2026-12-18, to: 2027-01-04, reason: year-end freeze}\n    - {from: \"2026-11-25T12:00\", to: \"2026-11-25T14:00\", reason: database migration}\n  holidays:\n    dates: [2026-11-26]\n    ics: [ops/holidays.ics]\n",
    );
    t.write(
        "ops/holidays.ics",
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261201\r\nSUMMARY:Team offsite\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    assert_eq!(at(&t, "w", "2026-11-24T10:00:00+01:00").0, "pass"); // Tue 10:00
    let (s, msg) = at(&t, "w", "2026-11-24T17:00:00+01:00");
    assert_eq!(s, "fail");
    assert!(msg.starts_with("outside the deploy windows (Mon, Tue, Wed, Thu 09:00–16:00) — next window opens Wed 2026-11-25 09:00"), "{msg}");
    let (_, msg) = at(&t, "w", "2026-11-25T12:30:00+01:00");
    assert_eq!(msg, "frozen: database migration — next window opens Wed 2026-11-25 14:00 Europe/Berlin, in 1h 30m");
    let (_, msg) = at(&t, "w", "2026-11-26T10:00:00+01:00");
    assert!(
        msg.starts_with("holiday: holiday — next window opens Mon 2026-11-30 09:00"),
        "{msg}"
    );
    let (_, msg) = at(&t, "w", "2026-12-01T10:00:00+01:00");
    assert!(
        msg.starts_with("holiday: Team offsite — next window opens Wed 2026-12-02 09:00"),
        "{msg}"
    );
    let (_, msg) = at(&t, "w", "2026-12-21T10:00:00+01:00");
    // `to` is inclusive: the freeze covers Mon 2027-01-04.
    assert!(
        msg.starts_with("frozen: year-end freeze — next window opens Tue 2027-01-05 09:00"),
        "{msg}"
    );

    // A broken calendar is an error naming the file and line, never a silent pass.
    t.write(
        "ops/holidays.ics",
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:2026-12-01\nEND:VEVENT\nEND:VCALENDAR\n",
    );
    let (code, r) = t.json(&["--stage", "release", "--at", "2026-11-24T10:00:00+01:00"]);
    assert_eq!(code, 2);
    assert!(check(&r, "w")["reason"]
        .as_str()
        .unwrap()
        .starts_with("ops/holidays.ics:3: DTSTART"));
}

/// (zone, the night clocks jump forward, the night they go back) in 2026.
const DST: &[(&str, &str, &str, &str, &str)] = &[
    // zone, gap day, offset before gap, fold day, offset after fold
    (
        "Europe/Berlin",
        "2026-03-28",
        "+01:00",
        "2026-10-24",
        "+01:00",
    ),
    (
        "America/New_York",
        "2026-03-07",
        "-05:00",
        "2026-10-31",
        "-05:00",
    ),
    (
        "Australia/Sydney",
        "2026-10-03",
        "+10:00",
        "2026-04-04",
        "+10:00",
    ),
];

#[test]
fn daylight_saving_gaps_never_move_a_boundary() {
    for (tz, gap_sat, _, _, _) in DST {
        // Saturday 22:00 to Sunday 02:30: the night 02:00-03:00 does not exist (US: 02:00 jumps
        // to 03:00; EU: 02:00 to 03:00; Sydney: 02:00 to 03:00).
        let t = window_repo(
            tz,
            "  deny:\n    - {days: [sat], from: \"22:00\", to: \"02:30\", reason: maintenance}\n",
        );
        let sunday = jiff::civil::Date::strptime("%Y-%m-%d", gap_sat)
            .unwrap()
            .tomorrow()
            .unwrap();
        let local = |h: i8, m: i8| -> String {
            let dt = sunday.at(h, m, 0, 0);
            dt.to_zoned(jiff::tz::TimeZone::get(tz).unwrap())
                .unwrap()
                .timestamp()
                .to_string()
        };
        assert_eq!(at(&t, "w", &local(1, 59)).0, "fail", "{tz} 01:59");
        // The first moment after the jump is 03:00: 02:30 has passed on the wall clock.
        let (s, _) = at(&t, "w", &local(3, 0));
        assert_eq!(
            s, "pass",
            "{tz}: the window ends when the clocks jump past 02:30"
        );
        // From inside the window, the next window opens exactly at the jump (03:00 on the wall).
        let (_, msg) = at(&t, "w", &local(1, 0));
        assert!(
            msg.contains(&format!(
                "next window opens Sun {sunday} 03:00 {tz}, in 1h 0m"
            )),
            "{tz}: {msg}"
        );
    }
}

#[test]
fn daylight_saving_folds_never_reopen_a_window() {
    for (tz, _, _, fold_sat, std_offset) in DST {
        let fold_sun = jiff::civil::Date::strptime("%Y-%m-%d", fold_sat)
            .unwrap()
            .tomorrow()
            .unwrap();
        // The repeated hour: in the EU 02:00-03:00 summer time then 02:00-03:00 standard; in the
        // US and Sydney 01:00-02:00 then 01:00-02:00 (NY) or 02:00-03:00 (Sydney).
        let repeated = if *tz == "America/New_York" { 1 } else { 2 };
        let end = format!("{repeated:02}:30");
        let t = window_repo(tz, &format!("  deny:\n    - {{days: [sat], from: \"22:00\", to: \"{end}\", reason: maintenance}}\n"));
        let zone = jiff::tz::TimeZone::get(tz).unwrap();
        let first = fold_sun
            .at(repeated, 30, 0, 0)
            .to_zoned(zone.clone())
            .unwrap(); // earlier occurrence
        let minutes = |m: i64| {
            first
                .timestamp()
                .checked_add(jiff::SignedDuration::from_mins(m))
                .unwrap()
                .to_string()
        };
        // 15 minutes after the first 02:30 the wall clock shows 02:45 (summer time), then goes
        // back to 02:00: the window holds through the repeated hour, without flip-flopping.
        assert_eq!(at(&t, "w", &minutes(15)).0, "fail", "{tz}");
        assert_eq!(
            at(&t, "w", &minutes(45)).0,
            "fail",
            "{tz}: the repeated {end}"
        );
        assert_eq!(
            at(&t, "w", &minutes(61)).0,
            "pass",
            "{tz}: after the second {end}"
        );
        let (_, msg) = at(&t, "w", &minutes(-60));
        assert!(
            msg.contains(&format!(
                "next window opens Sun {fold_sun} {end} {tz}, in 2h 0m"
            )),
            "{tz}: {msg} ({std_offset})"
        );

        // An allow window ending at the repeated time closes at its first occurrence.
        let t = window_repo(
            tz,
            &format!("  allow:\n    - {{days: [sun], from: \"00:00\", to: \"{end}\"}}\n"),
        );
        assert_eq!(at(&t, "w", &minutes(-1)).0, "pass", "{tz}");
        assert_eq!(
            at(&t, "w", &minutes(15)).0,
            "fail",
            "{tz}: the allow window does not re-open"
        );
        assert_eq!(at(&t, "w", &minutes(45)).0, "fail", "{tz}");
    }
}

#[test]
fn unknown_zones_are_configuration_errors() {
    let t = window_repo("Mars/Olympus_Mons", "  deny: []\n");
    let (code, _, err) = t.run(&["run"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("checks/w.yaml:5:3") && err.contains("unknown time zone `Mars/Olympus_Mons`"),
        "{err}"
    );
}

#[test]
fn the_windows_command_shows_the_calendar() {
    let t = repo("settings:\n  timezone: Europe/Berlin\n");
    let (code, out, _) = t.run(&[
        "windows",
        "--at",
        "2026-11-19T10:00:00+01:00",
        "--days",
        "7",
    ]);
    assert_eq!(code, 0);
    let expected = "friday-deploys — No deploys on Friday afternoon or over the weekend (Europe/Berlin, stage release)
  open    Thu 2026-11-19 10:00 → Fri 2026-11-20 12:00  (1d 2h)
  closed  Fri 2026-11-20 12:00 → Sat 2026-11-21 00:00  (12h 0m)  frozen: Friday after 12:00
  closed  Sat 2026-11-21 00:00 → Mon 2026-11-23 00:00  (2d 0h)  frozen: the weekend
  open    Mon 2026-11-23 00:00 → Thu 2026-11-26 10:00  (3d 10h)
";
    assert!(out.starts_with(expected), "{out}");
    assert!(out.contains("release-freeze"), "{out}");
}

/// Floating holidays in an iCalendar file (RFC 5545 recurrence: the last Monday of May, the fourth
/// Thursday of November in both spellings, EXDATE) block the release on their day and not the
/// day after; `shipgate validate` reads the calendar with the same parser, so what `run` cannot
/// read, `validate` rejects with the file and line.
#[test]
fn floating_holidays_from_recurrence_rules_and_validate_agrees() {
    let t = repo("checks:\n  release-freeze:\n    off: false\n    params:\n      timezone: America/New_York\n      holidays: {ics: [ops/holidays.ics]}\n");
    let event = |summary: &str, lines: &str| {
        format!("BEGIN:VEVENT\r\nSUMMARY:{summary}\r\n{lines}END:VEVENT\r\n")
    };
    let calendar = [
        event(
            "Memorial Day",
            "DTSTART;VALUE=DATE:20200525\r\nRRULE:FREQ=YEARLY;BYMONTH=5;BYDAY=-1MO\r\n",
        ),
        event(
            "Thanksgiving",
            "DTSTART;VALUE=DATE:20191128\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\r\n",
        ),
        event(
            "Thanksgiving (set position)",
            "DTSTART;VALUE=DATE:20191128\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=TH;BYSETPOS=4\r\nEXDATE;VALUE=DATE:20271125\r\n",
        ),
    ]
    .concat();
    t.write(
        "ops/holidays.ics",
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n{calendar}END:VCALENDAR\r\n"),
    );
    let id = "release-freeze";
    let (s, msg) = at(&t, id, "2026-05-25T10:00:00-04:00");
    assert_eq!(s, "fail", "{msg}");
    assert!(msg.starts_with("holiday: Memorial Day"), "{msg}");
    assert_eq!(at(&t, id, "2026-05-26T10:00:00-04:00").0, "pass");
    assert_eq!(at(&t, id, "2027-05-31T10:00:00-04:00").0, "fail");
    let (s, msg) = at(&t, id, "2026-11-26T10:00:00-05:00");
    assert_eq!(s, "fail", "{msg}");
    assert!(msg.starts_with("holiday: Thanksgiving"), "{msg}");
    assert_eq!(at(&t, id, "2026-11-19T10:00:00-05:00").0, "pass");
    assert_eq!(t.run(&["validate"]).0, 0);

    // A rule the recurrence parser cannot read: `run` ends the check in error, and `validate`
    // refuses the same calendar, naming the file and line.
    t.write(
        "ops/holidays.ics",
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261126\r\nRRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4XX\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    );
    let (code, r) = t.json(&[
        "--stage",
        "release",
        "--only",
        id,
        "--at",
        "2026-11-24T10:00:00-05:00",
    ]);
    assert_eq!((code, status(&r, id)), (2, "error"), "{r:#}");
    let reason = check(&r, id)["reason"].as_str().unwrap();
    assert!(reason.starts_with("ops/holidays.ics:4: RRULE"), "{reason}");
    let (code, _, err) = t.run(&["validate"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ops/holidays.ics:4: check `release-freeze`: RRULE"),
        "{err}"
    );
    assert!(err.contains("help: fix the calendar"), "{err}");
    let (code, _, err) = t.run(&["validate", ".shipgate.yaml"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("ops/holidays.ics:4:"), "{err}");
    // A calendar that is not there: both refuse it too.
    t.remove("ops/holidays.ics");
    let (code, _, err) = t.run(&["validate"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ops/holidays.ics: check `release-freeze`: cannot read"),
        "{err}"
    );
}
