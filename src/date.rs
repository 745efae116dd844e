//! The one date normaliser. Every date string feedkeeper meets — a dateline in an imported
//! article, front matter, an RSS `pubDate`, an Atom `updated`, an HTTP header — goes through
//! [`parse`], so one set of rules decides what a date means.
//!
//! Real feeds carry dates that strict parsers reject: `UTC` instead of `+0000`, `Sept.`,
//! long month names, a weekday that does not match the date, time-zone abbreviations, no
//! zone at all, non-English month names. The normaliser is layered: RFC 3339 first, then a
//! token reader that strips weekdays, maps month names and zone abbreviations, and accepts
//! day-month-year in any common order. A date without a time is midnight UTC; a time without
//! a zone is UTC. It is pure and deterministic: no clock, no locale, no I/O.
//!
//! It must not guess wildly: a string with no recognisable year, month and day is `None`,
//! never "today".

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, SecondsFormat, TimeZone, Utc};

/// Parses a date in any of the forms listed in the module documentation.
///
/// Returns `None` when no unambiguous calendar date can be read, or the date is outside
/// the years 1000..=9999.
pub fn parse(input: &str) -> Option<DateTime<Utc>> {
    let s = input.trim().trim_matches('\u{feff}');
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return in_range(dt.with_timezone(&Utc));
    }
    parse_tokens(s)
}

/// Formats a date as RFC 3339 in UTC with second precision (`2018-09-14T00:00:00Z`), the form
/// Atom, JSON Feed and the archive store use.
pub fn rfc3339(dt: &DateTime<Utc>) -> String {
    dt.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Formats a date as RFC 2822 for RSS (`Fri, 14 Sep 2018 00:00:00 +0000`).
pub fn rfc2822(dt: &DateTime<Utc>) -> String {
    dt.format("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

/// Finds a date at the start of a dateline such as `Sept. 14, 2018 - In a conference held…`,
/// `GENEVA, 14 September 2018 — …`, `14 September 2018, Geneva — …`, `PARIS — Sept. 14,
/// 2018 — …`, `Sept. 14, 2018: …` or `Geneva, Switzerland (Reuters) Sept. 14, 2018 - …`.
/// Returns the date and the byte offset where the text after the dateline's separator begins.
pub fn dateline(line: &str) -> Option<(DateTime<Utc>, usize)> {
    const SEPARATORS: [&str; 7] = ["\u{2014}", "\u{2013}", " - ", " -\u{a0}", " -- ", ": ", " | "];
    let mut cuts: Vec<(usize, usize)> =
        SEPARATORS.iter().flat_map(|sep| line.match_indices(sep).map(move |(i, m)| (i, i + m.len()))).collect();
    cuts.sort_unstable();
    for (at, after) in cuts {
        let head = &line[..at];
        if head.chars().count() > 80 {
            break;
        }
        if let Some(date) = date_in_head(head) {
            let rest = line[after..].trim_start_matches(|c: char| c.is_whitespace());
            return Some((date, line.len() - rest.len()));
        }
    }
    None
}

/// The date in a dateline's head: the whole head, or what is left after dropping a place or
/// agency before it (`GENEVA, …`, `PARIS — …`, `(Reuters)`) or a place after it (`…, Geneva`).
fn date_in_head(head: &str) -> Option<DateTime<Utc>> {
    let mut text = head.to_string();
    while let (Some(open), Some(close)) = (text.find('('), text.find(')')) {
        if close < open {
            break;
        }
        text.replace_range(open..=close, " ");
    }
    // After the last dash: "PARIS — Sept. 14, 2018".
    let text = text.rsplit(['\u{2014}', '\u{2013}']).next().unwrap_or(&text).replace(" - ", " ");
    let parts: Vec<&str> = text.split(',').collect();
    for start in 0..parts.len() {
        for end in (start + 1..=parts.len()).rev() {
            let candidate = parts[start..end].join(",");
            // Also without up to three leading words: a place name with no comma after it.
            let words: Vec<&str> = candidate.split_whitespace().collect();
            for skip in 0..words.len().min(4) {
                if let Some(d) = parse(&words[skip..].join(" ")) {
                    return Some(d);
                }
            }
        }
    }
    None
}

fn in_range(dt: DateTime<Utc>) -> Option<DateTime<Utc>> {
    use chrono::Datelike;
    (1000..=9999).contains(&dt.year()).then_some(dt)
}

/// One token of a date string after splitting on spaces, commas and similar.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number { value: u32, digits: usize },
    Month(u32),
    Time(NaiveTime),
    Meridiem { pm: bool },
    Zone(i32),
    Date(NaiveDate),
}

fn parse_tokens(s: &str) -> Option<DateTime<Utc>> {
    let tokens = tokenize(s)?;
    let mut date: Option<NaiveDate> = None;
    let mut month: Option<u32> = None;
    let mut numbers: Vec<(u32, usize)> = Vec::new();
    let mut time: Option<NaiveTime> = None;
    let mut pm: Option<bool> = None;
    let mut zone: Option<i32> = None;
    for token in tokens {
        match token {
            Token::Date(d) => date = date.or(Some(d)),
            Token::Month(m) => month = month.or(Some(m)),
            Token::Number { value, digits } => numbers.push((value, digits)),
            Token::Time(t) => time = time.or(Some(t)),
            Token::Meridiem { pm: p } => pm = Some(p),
            Token::Zone(z) => zone = zone.or(Some(z)),
        }
    }
    let date = match date {
        Some(d) => d,
        None => {
            let month = month?;
            let (year, day) = year_and_day(&numbers)?;
            NaiveDate::from_ymd_opt(year, month, day)?
        }
    };
    let mut time = time.unwrap_or(NaiveTime::MIN);
    if let Some(pm) = pm {
        use chrono::Timelike;
        let h = time.hour();
        let h = match (pm, h) {
            (true, 1..=11) => h + 12,
            (false, 12) => 0,
            _ => h,
        };
        time = time.with_hour(h)?;
    }
    let naive = NaiveDateTime::new(date, time);
    let offset = FixedOffset::east_opt(zone.unwrap_or(0))?;
    let dt = offset.from_local_datetime(&naive).single()?;
    in_range(dt.with_timezone(&Utc))
}

/// Picks year and day from the bare numbers next to a month name: one four-digit number is
/// the year, the remaining one in 1..=31 is the day. Two-digit years are read as 19xx/20xx.
fn year_and_day(numbers: &[(u32, usize)]) -> Option<(i32, u32)> {
    let year_pos = numbers.iter().position(|&(_, digits)| digits == 4);
    match (year_pos, numbers.len()) {
        (Some(pos), 2) => {
            let year = numbers[pos].0 as i32;
            let (day, _) = numbers[1 - pos];
            (1..=31).contains(&day).then_some((year, day))
        }
        (None, 2) => {
            // "14 Sep 18": day first, then a two-digit year.
            let (day, _) = numbers[0];
            let (yy, digits) = numbers[1];
            if digits != 2 || !(1..=31).contains(&day) {
                return None;
            }
            let year = if yy < 70 { 2000 + yy } else { 1900 + yy } as i32;
            Some((year, day))
        }
        _ => None,
    }
}

fn tokenize(s: &str) -> Option<Vec<Token>> {
    let mut out = Vec::new();
    let lowered = s.to_lowercase();
    // "2018-09-14T10:00:00" and "…T10:00" split into date and time.
    let spaced = split_iso_t(&lowered);
    let words = spaced.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|w| !w.is_empty());
    for word in words {
        let word = word.trim_matches(|c: char| c == '(' || c == ')' || c == '"' || c == '\'');
        let word = word.trim_end_matches('.');
        if word.is_empty()
            || word == "-"
            || word == "at"
            || word == "on"
            || word == "the"
            || word == "of"
            || word == "de"
            || word == "le"
        {
            continue;
        }
        if let Some(t) = read_word(word) {
            out.extend(t);
        } else if is_weekday(word) {
            continue;
        } else {
            return None;
        }
    }
    Some(out)
}

/// Inserts a space between an ISO date and its `T` time so both tokens read on their own.
fn split_iso_t(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 1);
    for (i, ch) in s.char_indices() {
        if ch == 't' && i >= 8 && i + 1 < bytes.len() && bytes[i - 1].is_ascii_digit() && bytes[i + 1].is_ascii_digit()
        {
            out.push(' ');
        } else {
            out.push(ch);
        }
    }
    out
}

fn read_word(word: &str) -> Option<Vec<Token>> {
    if let Some(m) = month_number(word) {
        return Some(vec![Token::Month(m)]);
    }
    if let Some(z) = zone_abbreviation(word) {
        return Some(vec![Token::Zone(z)]);
    }
    match word {
        "am" | "a.m" => return Some(vec![Token::Meridiem { pm: false }]),
        "pm" | "p.m" => return Some(vec![Token::Meridiem { pm: true }]),
        _ => {}
    }
    if let Some(z) = numeric_zone(word) {
        return Some(vec![Token::Zone(z)]);
    }
    // A time, possibly glued to its zone: "10:00:00z", "10:00:00+02:00", "10:00:00.123-0500".
    if word.contains(':') && word.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let split = word[1..].find(['+', '-', 'z']).map(|i| i + 1);
        let (time_part, zone_part) = match split {
            Some(i) => (&word[..i], Some(&word[i..])),
            None => (word, None),
        };
        let time = read_time(time_part)?;
        let mut tokens = vec![Token::Time(time)];
        if let Some(z) = zone_part {
            let z = if z == "z" { Some(0) } else { numeric_zone(z) };
            tokens.push(Token::Zone(z?));
        }
        return Some(tokens);
    }
    if let Some(d) = read_numeric_date(word) {
        return Some(vec![Token::Date(d)]);
    }
    // "14th", "1st", "2nd", "3rd".
    let digits: &str = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &word[digits.len()..];
    if !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && matches!(suffix, "" | "st" | "nd" | "rd" | "th" | "er" | "e")
    {
        if digits.len() > 4 {
            return None;
        }
        let value: u32 = digits.parse().ok()?;
        return Some(vec![Token::Number { value, digits: digits.len() }]);
    }
    None
}

fn read_time(s: &str) -> Option<NaiveTime> {
    let mut parts = s.split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let (sec, nano) = match parts.next() {
        Some(sec) => {
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, ""));
            let whole: u32 = whole.parse().ok()?;
            let frac: String = frac.chars().take(9).collect();
            let nano = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
            (whole.min(59), nano)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_nano_opt(h, m, sec, nano)
}

/// `2018-09-14`, `2018/09/14`, `20180914`, `14.09.2018` (day first), `09/14/2018` (US order
/// when the first number cannot be a day… and day first when it cannot be a month).
fn read_numeric_date(word: &str) -> Option<NaiveDate> {
    if word.len() == 8 && word.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(word, "%Y%m%d").ok();
    }
    let sep = word.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let parts: Vec<&str> = word.split(sep).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let n: Vec<u32> = parts.iter().map(|p| p.parse().ok()).collect::<Option<_>>()?;
    if parts[0].len() == 4 {
        return NaiveDate::from_ymd_opt(n[0] as i32, n[1], n[2]);
    }
    if parts[2].len() != 4 {
        return None;
    }
    let year = n[2] as i32;
    let (day, month) = match sep {
        '/' if n[0] <= 12 => (n[1], n[0]),
        _ => (n[0], n[1]),
    };
    NaiveDate::from_ymd_opt(year, month, day)
}

/// `+0200`, `-05:00`, `+02`, `gmt+2`, `utc-05:30`.
fn numeric_zone(word: &str) -> Option<i32> {
    let word = word.strip_prefix("gmt").or_else(|| word.strip_prefix("utc")).unwrap_or(word);
    let sign = match word.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body: String = word[1..].chars().filter(|c| *c != ':').collect();
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match body.len() {
        1 | 2 => (body.parse().ok()?, 0),
        3 => (body[..1].parse().ok()?, body[1..].parse().ok()?),
        4 => (body[..2].parse().ok()?, body[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

/// The month names and abbreviations every part of feedkeeper reads, lowercase, January
/// first: the English ones, then French, German, Spanish, Italian, Portuguese and Dutch.
/// The date parser, the extractor's date cues and relevance's dateline test all read this
/// table, so a month spelling is added in one place.
const MONTHS: [(&[&str], &[&str]); 12] = [
    (&["jan", "january"], &["janvier", "janv", "januar", "enero", "ene", "gennaio", "gen", "janeiro", "januari"]),
    (
        &["feb", "february"],
        &[
            "février",
            "fevrier",
            "févr",
            "fevr",
            "fév",
            "februar",
            "febrero",
            "febbraio",
            "fevereiro",
            "fev",
            "februari",
        ],
    ),
    (&["mar", "march"], &["mars", "märz", "maerz", "marzo", "março", "marco", "maart", "mrz"]),
    (&["apr", "april"], &["avril", "avr", "abril", "abr", "aprile"]),
    (&["may"], &["mai", "mayo", "maggio", "mag", "maio", "mei"]),
    (&["jun", "june"], &["juin", "juni", "junio", "giugno", "giu", "junho"]),
    (&["jul", "july"], &["juillet", "juil", "juli", "julio", "luglio", "lug", "julho"]),
    (&["aug", "august"], &["août", "aout", "agosto", "ago", "augustus"]),
    (&["sep", "sept", "september"], &["septembre", "septiembre", "setiembre", "settembre", "set", "setembro"]),
    (&["oct", "october"], &["octobre", "oktober", "okt", "octubre", "ottobre", "ott", "outubro", "out"]),
    (&["nov", "november"], &["novembre", "noviembre", "novembro"]),
    (
        &["dec", "december"],
        &["décembre", "decembre", "déc", "dezember", "dez", "diciembre", "dic", "dicembre", "dezembro"],
    ),
];

/// The month (1–12) a lowercase month name or abbreviation in any language of [`MONTHS`]
/// stands for.
fn month_number(word: &str) -> Option<u32> {
    MONTHS.iter().position(|(en, other)| en.contains(&word) || other.contains(&word)).map(|i| i as u32 + 1)
}

/// Whether `word` (any case) is an English month name or abbreviation ("Sept", "January").
pub fn is_english_month(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    MONTHS.iter().any(|(en, _)| en.contains(&lower.as_str()))
}

/// Every month name and abbreviation of every language, lowercase, longest first (the
/// order a regular-expression alternation wants).
pub fn month_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> =
        MONTHS.iter().flat_map(|(en, other)| en.iter().chain(other.iter())).copied().collect();
    names.sort_by(|a, b| b.chars().count().cmp(&a.chars().count()).then(a.cmp(b)));
    names.dedup();
    names
}

fn is_weekday(word: &str) -> bool {
    const DAYS: &[&str] = &[
        "mon",
        "monday",
        "tue",
        "tues",
        "tuesday",
        "wed",
        "wednesday",
        "thu",
        "thur",
        "thurs",
        "thursday",
        "fri",
        "friday",
        "sat",
        "saturday",
        "sun",
        "sunday",
        "lundi",
        "mardi",
        "mercredi",
        "jeudi",
        "vendredi",
        "samedi",
        "dimanche",
        "lun",
        "mer",
        "jeu",
        "ven",
        "sam",
        "dim",
        "montag",
        "dienstag",
        "mittwoch",
        "donnerstag",
        "freitag",
        "samstag",
        "sonntag",
        "mo",
        "di",
        "mi",
        "do",
        "fr",
        "sa",
        "so",
        "lunes",
        "martes",
        "miércoles",
        "miercoles",
        "jueves",
        "viernes",
        "sábado",
        "sabado",
        "domingo",
        "mié",
        "jue",
        "vie",
        "sáb",
        "dom",
    ];
    DAYS.contains(&word)
}

/// Time-zone abbreviations seen in real feeds, as seconds east of UTC. Ambiguous ones take
/// their most common meaning in English-language news (IST = India, CST = US Central).
fn zone_abbreviation(word: &str) -> Option<i32> {
    const H: i32 = 3600;
    Some(match word {
        "z" | "ut" | "utc" | "gmt" | "wet" | "zulu" => 0,
        "bst" | "cet" | "met" | "wat" | "west" | "mez" => H,
        "cest" | "mest" | "eet" | "sast" | "cat" | "mesz" => 2 * H,
        "eest" | "msk" | "ast" | "eat" | "idt" | "trt" => 3 * H,
        "irst" => 3 * H + H / 2,
        "gst" | "irdt" => 4 * H,
        "pkt" => 5 * H,
        "ist" => 5 * H + H / 2,
        "ict" | "wib" => 7 * H,
        "cst6cdt" => -6 * H,
        "hkt" | "sgt" | "awst" | "pht" => 8 * H,
        "jst" | "kst" => 9 * H,
        "acst" => 9 * H + H / 2,
        "aest" => 10 * H,
        "aedt" => 11 * H,
        "nzst" => 12 * H,
        "nzdt" => 13 * H,
        "edt" => -4 * H,
        "est" | "cdt" => -5 * H,
        "cst" | "mdt" => -6 * H,
        "mst" | "pdt" => -7 * H,
        "pst" | "akdt" => -8 * H,
        "akst" => -9 * H,
        "hst" => -10 * H,
        "adt" => -3 * H,
        "nst" => -(3 * H + H / 2),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_month_name_in_the_table_parses_to_its_month() {
        for (i, (en, other)) in MONTHS.iter().enumerate() {
            for name in en.iter().chain(other.iter()) {
                let d = parse(&format!("14 {name} 2018")).unwrap_or_else(|| panic!("{name}"));
                assert_eq!(chrono::Datelike::month(&d), i as u32 + 1, "{name}");
            }
        }
        assert!(month_names().contains(&"setiembre"));
        assert!(is_english_month("Sept") && is_english_month("JANUARY") && !is_english_month("janvier"));
    }
    use proptest::prelude::*;

    fn ymd_hms(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, s).single().expect("valid date")
    }

    #[test]
    fn forms_named_in_the_contract() {
        let day = ymd_hms(2018, 9, 14, 0, 0, 0);
        for s in [
            "Sept. 14, 2018",
            "Sept 14 2018",
            "14 September 2018",
            "September 14, 2018",
            "2018-09-14",
            "2018/09/14",
            "14.09.2018",
            "Friday, September 14th, 2018",
            "14 Sep 18",
            "14 septembre 2018",
            "20180914",
        ] {
            assert_eq!(parse(s), Some(day), "{s}");
        }
        let noon = ymd_hms(2018, 9, 14, 12, 30, 0);
        for s in [
            "Fri, 14 Sep 2018 12:30:00 UTC",
            "Fri, 14 Sep 2018 12:30:00 GMT",
            "Mon, 14 Sep 2018 12:30:00 +0000", // wrong weekday
            "Fri, 14 Sept 2018 14:30:00 +0200",
            "Friday, 14 September 2018 08:30:00 EDT",
            "2018-09-14T12:30:00Z",
            "2018-09-14T14:30:00+02:00",
            "2018-09-14 12:30:00",
            "2018-09-14T12:30",
            "2018-09-14t12:30:00z",
            "Sep 14, 2018 12:30 PM",
            "Fri Sep 14 12:30:00 2018",
            "14 Sep 2018 16:00 IRST",
        ] {
            assert_eq!(parse(s), Some(noon), "{s}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_date() {
        for s in [
            "",
            "yesterday",
            "Sept. 2018",
            "31 February 2018",
            "2018-13-01",
            "In a conference held in Geneva",
            "14 Sep",
            "12:30",
            "Fri, 14 Sep 2018 25:00:00 GMT",
        ] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn datelines() {
        let (d, at) = dateline("Sept. 14, 2018 - In a conference held in Geneva").expect("dateline");
        assert_eq!(d, ymd_hms(2018, 9, 14, 0, 0, 0));
        assert_eq!(&"Sept. 14, 2018 - In a conference held in Geneva"[at..], "In a conference held in Geneva");
        let (d, _) = dateline("GENEVA, 14 September 2018 — The conference").expect("place dateline");
        assert_eq!(d, ymd_hms(2018, 9, 14, 0, 0, 0));
        assert_eq!(dateline("Tens of thousands of prisoners - more than 30,000 - were killed"), None);
        let day = ymd_hms(2018, 9, 14, 0, 0, 0);
        for (line, rest) in [
            ("14 September 2018, Geneva — The conference", "The conference"),
            ("Sept. 14, 2018: In a conference", "In a conference"),
            ("Sept. 14, 2018 -\u{a0}In a conference", "In a conference"),
            ("Sept. 14, 2018\u{2014}In a conference", "In a conference"),
            ("PARIS \u{2014} Sept. 14, 2018 \u{2014} The families", "The families"),
            ("Geneva, Switzerland, Sept. 14, 2018 - Dignitaries", "Dignitaries"),
            ("GENEVA (Reuters) Sept. 14, 2018 - Dignitaries", "Dignitaries"),
        ] {
            let (d, at) = dateline(line).unwrap_or_else(|| panic!("no dateline in {line:?}"));
            assert_eq!((d, &line[at..]), (day, rest), "{line:?}");
        }
        assert_eq!(dateline("Ingrid Betancourt: the regime decided to execute them - all of them"), None);
    }

    #[test]
    fn formats() {
        let d = ymd_hms(2018, 9, 14, 12, 30, 5);
        assert_eq!(rfc3339(&d), "2018-09-14T12:30:05Z");
        assert_eq!(rfc2822(&d), "Fri, 14 Sep 2018 12:30:05 +0000");
    }

    fn any_date() -> impl Strategy<Value = DateTime<Utc>> {
        (1970i64..4_102_444_800).prop_map(|secs| DateTime::from_timestamp(secs, 0).expect("in range"))
    }

    proptest! {
        #[test]
        fn rfc3339_round_trips(d in any_date()) {
            prop_assert_eq!(parse(&rfc3339(&d)), Some(d));
        }

        #[test]
        fn rfc2822_round_trips(d in any_date()) {
            prop_assert_eq!(parse(&rfc2822(&d)), Some(d));
        }

        #[test]
        fn weekday_and_case_do_not_matter(d in any_date(), wd in 0usize..7, upper in any::<bool>()) {
            let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
            let s = d.format(&format!("{}, %d %B %Y %H:%M:%S UTC", names[wd])).to_string();
            let s = if upper { s.to_uppercase() } else { s.to_lowercase() };
            prop_assert_eq!(parse(&s), Some(d));
        }

        #[test]
        fn offsets_are_applied(d in any_date(), minutes in -12i32 * 60..=14 * 60) {
            let offset = FixedOffset::east_opt(minutes * 60).expect("offset");
            let s = d.with_timezone(&offset).format("%a, %d %b %Y %H:%M:%S %z").to_string();
            prop_assert_eq!(parse(&s), Some(d));
        }

        #[test]
        fn never_panics(s in ".{0,80}") {
            let _ = parse(&s);
            let _ = dateline(&s);
        }
    }
}
