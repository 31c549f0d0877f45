//! Readable local timestamps. Only the browser knows its time zone and locale: the server
//! renders none of them, and the `live_*` forms keep hydration meeting what it rendered until
//! the page is live (see [`crate::hydration`]).

use crate::hydration;

/// `HH:MM` in the browser's time zone and locale.
#[cfg(feature = "hydrate")]
#[must_use]
pub fn clock(ts: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
    let options = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&options, &"hour".into(), &"2-digit".into());
    let _ = js_sys::Reflect::set(&options, &"minute".into(), &"2-digit".into());
    date.to_locale_time_string_with_options("default", &options)
        .as_string()
        .unwrap_or_default()
}

/// `HH:MM` (empty on the server, which does not know the reader's time zone).
#[cfg(not(feature = "hydrate"))]
#[must_use]
pub fn clock(_ts: i64) -> String {
    String::new()
}

/// Full local date and time, for the `title` of a timestamp.
#[cfg(feature = "hydrate")]
#[must_use]
pub fn full(ts: i64) -> String {
    let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
    date.to_locale_string("default", &js_sys::Object::new())
        .as_string()
        .unwrap_or_default()
}

/// Full local date and time (server side: none).
#[cfg(not(feature = "hydrate"))]
#[must_use]
pub fn full(_ts: i64) -> String {
    String::new()
}

/// The local day of a timestamp, as days since 1970-01-01 in the browser's time zone (UTC on
/// the server).
#[must_use]
pub fn local_day(ts: i64) -> i64 {
    #[cfg(feature = "hydrate")]
    let ts = {
        let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
        // getTimezoneOffset is UTC minus local, in minutes.
        ts - (date.get_timezone_offset() * 60_000.0) as i64
    };
    ts.div_euclid(86_400_000)
}

/// "Today", "Yesterday", or the date written out in the browser's locale.
#[must_use]
pub fn day_label(ts: i64) -> String {
    #[cfg(feature = "hydrate")]
    {
        let today = local_day(js_sys::Date::now() as i64);
        match today - local_day(ts) {
            0 => "Today".to_owned(),
            1 => "Yesterday".to_owned(),
            _ => {
                let date = js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64));
                let options = js_sys::Object::new();
                for (key, value) in [
                    ("weekday", "long"),
                    ("day", "numeric"),
                    ("month", "long"),
                    ("year", "numeric"),
                ] {
                    let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
                }
                date.to_locale_date_string("default", &options)
                    .as_string()
                    .unwrap_or_default()
            }
        }
    }
    #[cfg(not(feature = "hydrate"))]
    {
        iso(ts)[..10].to_owned()
    }
}

/// [`clock`] once the page is live, empty before.
#[must_use]
pub fn live_clock(ts: i64) -> String {
    if hydration::is_live() {
        clock(ts)
    } else {
        String::new()
    }
}

/// [`full`] once the page is live, empty before.
#[must_use]
pub fn live_full(ts: i64) -> String {
    if hydration::is_live() {
        full(ts)
    } else {
        String::new()
    }
}

/// How messages are grouped by day: by [`local_day`] once the page is live, by the UTC day
/// (as the server renders them) before.
#[must_use]
pub fn live_day_of() -> fn(i64) -> i64 {
    if hydration::is_live() {
        local_day
    } else {
        utc_day
    }
}

/// [`day_label`] once the page is live, the UTC date (`2026-12-07`) before.
#[must_use]
pub fn live_day_label(ts: i64) -> String {
    if hydration::is_live() {
        day_label(ts)
    } else {
        iso(ts)[..10].to_owned()
    }
}

/// The UTC day of a timestamp, as days since 1970-01-01.
#[must_use]
pub fn utc_day(ts: i64) -> i64 {
    ts.div_euclid(86_400_000)
}

/// ISO 8601 (UTC) for the `datetime` attribute.
#[must_use]
pub fn iso(ts: i64) -> String {
    let secs = ts.div_euclid(1000);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso_dates() {
        assert_eq!(super::iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::iso(1_795_000_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(super::iso(951_782_400_000), "2000-02-29T00:00:00Z");
    }
}
