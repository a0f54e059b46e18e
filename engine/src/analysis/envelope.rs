//! Back-of-the-envelope estimates: from daily users to requests per second,
//! storage and bandwidth, the arithmetic a design starts from. The page puts
//! these beside what the simulation measures, so a learner can see where the
//! rough numbers hold and where they do not (a traffic profile, a cache).

use serde::Serialize;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// What the estimate starts from.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct EnvelopeInput {
    pub daily_users: f64,
    pub requests_per_user_per_day: f64,
    /// Peak rate over the day's average.
    pub peak_factor: f64,
    /// Share of requests that write (store new data).
    pub write_share: f64,
    /// Bytes stored per write.
    pub bytes_per_write: f64,
    /// Bytes sent back per request.
    pub bytes_per_response: f64,
    /// Years the stored data is kept.
    pub retention_years: f64,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Envelope {
    pub average_rps: f64,
    pub peak_rps: f64,
    pub writes_per_s: f64,
    /// New data per day, and over the retention period, in bytes.
    pub storage_per_day_bytes: f64,
    pub storage_total_bytes: f64,
    /// Outgoing bandwidth at the peak, bits per second.
    pub peak_bandwidth_bps: f64,
}

/// Why an estimate cannot be made.
#[derive(Clone, Debug, PartialEq)]
pub struct EnvelopeError {
    pub field: &'static str,
    pub message: String,
}

impl std::fmt::Display for EnvelopeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

pub fn estimate(i: &EnvelopeInput) -> Result<Envelope, EnvelopeError> {
    let check = |field: &'static str, v: f64, min: f64, max: f64| {
        if v.is_finite() && v >= min && v <= max {
            Ok(())
        } else {
            Err(EnvelopeError { field, message: format!("must be a number from {min} to {max}") })
        }
    };
    check("daily users", i.daily_users, 0.0, 1e10)?;
    check("requests per user per day", i.requests_per_user_per_day, 0.0, 1e6)?;
    check("peak factor", i.peak_factor, 1.0, 100.0)?;
    check("write share", i.write_share, 0.0, 1.0)?;
    check("bytes per write", i.bytes_per_write, 0.0, 1e12)?;
    check("bytes per response", i.bytes_per_response, 0.0, 1e12)?;
    check("retention in years", i.retention_years, 0.0, 100.0)?;
    let average_rps = i.daily_users * i.requests_per_user_per_day / SECONDS_PER_DAY;
    let peak_rps = average_rps * i.peak_factor;
    let writes_per_day = i.daily_users * i.requests_per_user_per_day * i.write_share;
    let storage_per_day_bytes = writes_per_day * i.bytes_per_write;
    Ok(Envelope {
        average_rps,
        peak_rps,
        writes_per_s: average_rps * i.write_share,
        storage_per_day_bytes,
        storage_total_bytes: storage_per_day_bytes * 365.0 * i.retention_years,
        peak_bandwidth_bps: peak_rps * i.bytes_per_response * 8.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> EnvelopeInput {
        EnvelopeInput {
            daily_users: 10_000_000.0,
            requests_per_user_per_day: 432.0,
            peak_factor: 2.0,
            write_share: 0.1,
            bytes_per_write: 1_000.0,
            bytes_per_response: 10_000.0,
            retention_years: 5.0,
        }
    }

    #[test]
    fn ten_million_users_are_fifty_thousand_requests_a_second_on_average() {
        let e = estimate(&input()).unwrap();
        // 10 M x 432 / 86,400 = 50,000/s; the lessons' 100,000/s is the peak.
        assert_eq!(e.average_rps, 50_000.0);
        assert_eq!(e.peak_rps, 100_000.0);
        assert_eq!(e.writes_per_s, 5_000.0);
        // 432 M writes a day of 1 kB: 432 GB a day, 788 TB in five years.
        assert_eq!(e.storage_per_day_bytes, 432e9);
        assert_eq!(e.storage_total_bytes, 432e9 * 365.0 * 5.0);
        // 100,000 responses of 10 kB a second: 8 Gbit/s.
        assert_eq!(e.peak_bandwidth_bps, 8e9);
    }

    #[test]
    fn nonsense_is_refused_with_the_field_named() {
        let e = estimate(&EnvelopeInput { peak_factor: 0.5, ..input() }).unwrap_err();
        assert_eq!(e.field, "peak factor");
        assert_eq!(e.to_string(), "peak factor: must be a number from 1 to 100");
        assert_eq!(estimate(&EnvelopeInput { daily_users: f64::NAN, ..input() }).unwrap_err().field, "daily users");
        assert_eq!(estimate(&EnvelopeInput { write_share: 1.5, ..input() }).unwrap_err().field, "write share");
    }
}
