//! Number formatting for the dashboard: short, unit-carrying, never "NaN".

/// The window the page's live figures cover, for saying so on screen:
/// "last 5 s" (fewer seconds at the start of a run), or why there are none yet.
pub fn window(span_s: f64) -> String {
    if span_s > 0.0 {
        format!("last {span_s:.0} s")
    } else {
        "none until the first simulated second ends".to_string()
    }
}

/// `1234.5` -> "1,235"; `12.34` -> "12.3"; `0.0123` -> "0.012".
pub fn number(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let a = x.abs();
    if a >= 1000.0 {
        group_thousands(x.round() as i64)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a == 0.0 {
        "0".into()
    } else {
        format!("{x:.3}")
    }
}

/// A whole count with thousands separators: `12345` -> "12,345".
pub fn count(n: u64) -> String {
    group_thousands(n.min(i64::MAX as u64) as i64)
}

/// A count short enough for a box's second line: exact below 10,000
/// ("9,999"), then three significant digits ("15.2k", "152k", "1.00M").
pub fn short_count(n: u64) -> String {
    if n < 10_000 {
        count(n)
    } else {
        si(n as f64, &["", "k", "M", "G", "T", "P", "E"]).replace(' ', "")
    }
}

fn group_thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Milliseconds, or a dash when there is no value.
pub fn ms(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{} ms", number(v)),
        None => "–".into(),
    }
}

/// A ratio 0..1 as a percentage.
pub fn percent(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let p = x * 100.0;
    if p > 0.0 && p < 0.1 {
        "<0.1%".into()
    } else {
        format!("{p:.1}%")
    }
}

/// A share with its 95% interval, which need not be symmetric: `0.033,
/// 0.0054, 0.179` -> "3.3% (95%: 0.54–17.9%)". Below 1% two significant
/// digits, so that a narrow interval near zero does not read "0.0–0.0%".
pub fn percent_interval(estimate: f64, low: f64, high: f64) -> String {
    format!("{}% (95%: {}–{}%)", fine_percent(estimate), fine_percent(low), fine_percent(high))
}

/// A ratio as a number of percent, without the sign: one decimal from 1%
/// up, two significant digits below, "<0.0001" below that, "0" for zero.
fn fine_percent(x: f64) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let p = x * 100.0;
    if p == 0.0 {
        "0".into()
    } else if p >= 1.0 {
        format!("{p:.1}")
    } else if p < 0.0001 {
        "<0.0001".into()
    } else {
        let decimals = (1.0 - p.log10().floor()) as usize;
        format!("{p:.decimals$}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(number(1234567.0), "1,234,567");
        assert_eq!(number(-1500.0), "-1,500");
        assert_eq!(number(12.345), "12.3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(f64::NAN), "–");
        assert_eq!(count(32), "32");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(u64::MAX), "9,223,372,036,854,775,807");
        assert_eq!(short_count(9_999), "9,999");
        assert_eq!(short_count(15_175), "15.2k");
        assert_eq!(short_count(152_000), "152k");
        assert_eq!(short_count(999_600), "1.00M");
        assert_eq!(short_count(u64::MAX), "18.4E");
        assert_eq!(ms(None), "–");
        assert_eq!(ms(Some(4.0)), "4.00 ms");
        assert_eq!(percent(0.5), "50.0%");
        assert_eq!(percent(0.0004), "<0.1%");
        assert_eq!(percent_interval(0.0333, 0.00543, 0.1789), "3.3% (95%: 0.54–17.9%)");
        assert_eq!(percent_interval(0.0, 0.0, 0.000123), "0% (95%: 0–0.012%)");
        assert_eq!(percent_interval(0.5, 0.4, 0.6), "50.0% (95%: 40.0–60.0%)");
        assert_eq!(percent_interval(1e-7, 0.0, 3e-7), "<0.0001% (95%: 0–<0.0001%)");
        assert_eq!(percent_interval(1.0, 0.99, 1.0), "100.0% (95%: 99.0–100.0%)");
    }
}

/// A size in bytes with a decimal (SI) unit, as storage is sold:
/// `432e9` -> "432 GB", `1500.0` -> "1.50 kB".
pub fn bytes(x: f64) -> String {
    si(x, &["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"])
}

/// A rate in bits per second with a decimal unit, as links are sold:
/// `8e9` -> "8.00 Gbit/s".
pub fn bits_per_s(x: f64) -> String {
    si(x, &["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s", "Pbit/s", "Ebit/s", "Zbit/s", "Ybit/s"])
}

/// `x` scaled by powers of 1000 to the largest unit it reaches, three
/// significant digits (beyond the last unit, the number grows).
fn si(x: f64, units: &[&str]) -> String {
    if !x.is_finite() {
        return "–".into();
    }
    let mut v = x;
    let mut unit = 0;
    while v.abs() >= 1000.0 && unit + 1 < units.len() {
        v /= 1000.0;
        unit += 1;
    }
    // "999.6" would round to "1000 kB": step up instead.
    if v.abs() >= 999.5 && unit + 1 < units.len() {
        v /= 1000.0;
        unit += 1;
    }
    let digits = if unit == 0 || v.abs() >= 100.0 || v == 0.0 {
        format!("{}", v.round())
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    };
    let digits = if v.abs() >= 1000.0 { group_thousands(v.round() as i64) } else { digits };
    format!("{digits} {}", units[unit])
}

#[cfg(test)]
mod size_tests {
    use super::*;

    #[test]
    fn sizes_and_bit_rates() {
        assert_eq!(bytes(0.0), "0 B");
        assert_eq!(bytes(999.0), "999 B");
        assert_eq!(bytes(1500.0), "1.50 kB");
        assert_eq!(bytes(432e9), "432 GB");
        assert_eq!(bytes(432e9 * 365.0 * 5.0), "788 TB");
        assert_eq!(bytes(999_600.0), "1.00 MB");
        assert_eq!(bytes(12_345.0), "12.3 kB");
        assert_eq!(bytes(f64::NAN), "–");
        assert_eq!(bytes(2e27), "2,000 YB");
        assert_eq!(bits_per_s(8e9), "8.00 Gbit/s");
        assert_eq!(bits_per_s(240_000.0), "240 kbit/s");
        assert_eq!(bits_per_s(f64::INFINITY), "–");
    }
}
