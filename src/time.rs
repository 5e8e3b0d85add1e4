//! RFC 3339 timestamps and civil dates (UTC) without a date crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// Formats `t` as `2026-11-26T16:05:59.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let (date, time) = civil(since.as_secs() as i64);
    format!("{date}T{time}.{:03}Z", since.subsec_millis())
}

/// Formats seconds since 1970 (negative before) as `2026-11-26T16:05:59Z`:
/// certificate validity has whole seconds and may predate 1970.
pub fn rfc3339_seconds(unix: i64) -> String {
    let (date, time) = civil(unix);
    format!("{date}T{time}Z")
}

/// The date (`YYYY-MM-DD`) of seconds since 1970.
pub fn date(unix: i64) -> String {
    civil(unix).0
}

/// Seconds since 1970 of midnight UTC starting `year-month-day`.
pub fn unix_of_date(year: i64, month: i64, day: i64) -> i64 {
    // Days from civil (Howard Hinnant's algorithm), the inverse of `civil`.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) * 86_400
}

/// Seconds since 1970 of a timestamp written by [`rfc3339_seconds`]
/// (`2026-11-26T16:05:59Z`; the year may have more digits or a sign), or
/// `None` when `text` is not one.
pub fn unix_of_rfc3339_seconds(text: &str) -> Option<i64> {
    let body = text.strip_suffix('Z')?;
    let (date, time) = body.split_once('T')?;
    let (sign, date) = match date.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, date),
    };
    let mut d = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (h, m, s) = (t.next()??, t.next()??, t.next()??);
    let valid = (1..=12).contains(&month)
        && (1..=31).contains(&day)
        && (0..24).contains(&h)
        && (0..60).contains(&m)
        && (0..=60).contains(&s);
    valid.then(|| unix_of_date(sign * year, month, day) + h * 3600 + m * 60 + s)
}

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

fn civil(secs: i64) -> (String, String) {
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rfc3339_seconds_reads_back() {
        for unix in [0, 1_764_172_759, -86_401, 253_402_300_799, -62_135_596_800] {
            let text = rfc3339_seconds(unix);
            assert_eq!(unix_of_rfc3339_seconds(&text), Some(unix), "{text}");
        }
        assert_eq!(unix_of_rfc3339_seconds("2026-13-01T00:00:00Z"), None);
        assert_eq!(unix_of_rfc3339_seconds("yesterday"), None);
    }

    #[test]
    fn formats_known_instants() {
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_millis(1_795_017_959_123)),
            "2026-11-18T16:05:59.123Z"
        );
        assert_eq!(
            rfc3339(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(rfc3339_seconds(-86_400), "1969-12-31T00:00:00Z");
        assert_eq!(unix_of_date(2000, 2, 29), 951_782_400);
        assert_eq!(unix_of_date(1969, 12, 31), -86_400);
        assert_eq!(date(unix_of_date(2035, 12, 31)), "2035-12-31");
    }
}
