//! Geography: the regions users and data centers live in, and how long the
//! network takes between them.
//!
//! Six broad regions are enough to teach geo-routing: where the users are, where
//! the data centers are, and why a request that crosses an ocean costs a tenth of
//! a second before any server has done any work. The numbers are a small table of
//! typical round-trip times (see [`rtt_ms`]), not a model of any one network.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A broad geographic region. The declaration order is the order used to list
/// regions and to break ties in [`nearest`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Region {
    /// North America, east coast (around Virginia).
    #[serde(rename = "us-east")]
    UsEast,
    /// North America, west coast (around Oregon and California).
    #[serde(rename = "us-west")]
    UsWest,
    /// South America (around São Paulo).
    #[serde(rename = "sa")]
    SouthAmerica,
    /// Europe (around Ireland and Frankfurt).
    #[serde(rename = "eu")]
    Europe,
    /// East and South-East Asia (around Tokyo and Singapore).
    #[serde(rename = "asia")]
    Asia,
    /// Australia and New Zealand (around Sydney).
    #[serde(rename = "oceania")]
    Oceania,
}

impl Region {
    /// Every region, in declaration order.
    pub const ALL: [Region; 6] =
        [Region::UsEast, Region::UsWest, Region::SouthAmerica, Region::Europe, Region::Asia, Region::Oceania];

    /// The name used in scenario files (`"us-east"`, `"eu"`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Region::UsEast => "us-east",
            Region::UsWest => "us-west",
            Region::SouthAmerica => "sa",
            Region::Europe => "eu",
            Region::Asia => "asia",
            Region::Oceania => "oceania",
        }
    }

    /// A name for people (`"North America (east)"`).
    pub const fn label(self) -> &'static str {
        match self {
            Region::UsEast => "North America (east)",
            Region::UsWest => "North America (west)",
            Region::SouthAmerica => "South America",
            Region::Europe => "Europe",
            Region::Asia => "Asia",
            Region::Oceania => "Oceania",
        }
    }

    /// Position in [`Region::ALL`], the row and column of the latency table.
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Region {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Every valid region name, in [`Region::ALL`] order.
pub const REGION_NAMES: [&str; 6] = ["us-east", "us-west", "sa", "eu", "asia", "oceania"];

/// Words people often type for a region. They are not accepted (scenario files
/// keep one spelling per region) but they let the error say what was meant.
const ALIASES: &[(&str, Region)] = &[
    ("us", Region::UsEast),
    ("usa", Region::UsEast),
    ("na", Region::UsEast),
    ("north-america", Region::UsEast),
    ("useast", Region::UsEast),
    ("virginia", Region::UsEast),
    ("new-york", Region::UsEast),
    ("uswest", Region::UsWest),
    ("oregon", Region::UsWest),
    ("california", Region::UsWest),
    ("south-america", Region::SouthAmerica),
    ("brazil", Region::SouthAmerica),
    ("latam", Region::SouthAmerica),
    ("sa-east", Region::SouthAmerica),
    ("europe", Region::Europe),
    ("emea", Region::Europe),
    ("eu-west", Region::Europe),
    ("eu-central", Region::Europe),
    ("eu-north", Region::Europe),
    ("uk", Region::Europe),
    ("apac", Region::Asia),
    ("ap-northeast", Region::Asia),
    ("ap-southeast", Region::Asia),
    ("ap-south", Region::Asia),
    ("japan", Region::Asia),
    ("tokyo", Region::Asia),
    ("singapore", Region::Asia),
    ("india", Region::Asia),
    ("australia", Region::Oceania),
    ("sydney", Region::Oceania),
    ("au", Region::Oceania),
    ("nz", Region::Oceania),
];

/// A region name that is not one of [`REGION_NAMES`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownRegion {
    /// What was given, as given.
    pub given: String,
    /// The region it most likely meant, if any.
    pub suggestion: Option<Region>,
}

impl fmt::Display for UnknownRegion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = REGION_NAMES.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
        write!(f, "\"{}\" is not a region; use one of {list}", self.given)?;
        if let Some(s) = self.suggestion {
            write!(f, "; did you mean \"{s}\" ({})?", s.label())?;
        }
        Ok(())
    }
}

impl std::error::Error for UnknownRegion {}

impl FromStr for Region {
    type Err = UnknownRegion;

    /// Reads a region name. Case and surrounding spaces are forgiven; other
    /// spellings are refused with a suggestion.
    fn from_str(s: &str) -> Result<Region, UnknownRegion> {
        let key = s.trim().to_ascii_lowercase().replace(['_', ' '], "-");
        if let Some(r) = Region::ALL.into_iter().find(|r| r.name() == key) {
            return Ok(r);
        }
        // Cloud region codes end in a zone number ("eu-west-1"): look at the stem.
        let stem = key.trim_end_matches(|c: char| c.is_ascii_digit()).trim_end_matches('-');
        let exact = |word: &str| {
            Region::ALL
                .into_iter()
                .find(|r| r.name() == word)
                .or_else(|| ALIASES.iter().find(|(a, _)| *a == word).map(|&(_, r)| r))
        };
        let suggestion = exact(&key).or_else(|| exact(stem)).or_else(|| {
            // A typo of a name or of a longer alias ("us-eats", "eurpoe"). Two
            // letters are too few to guess from (every pair is two edits from
            // "eu"), and words of a different length are not typos of each other
            // ("asai" is as close to "sa" as to "asia" by edit count alone).
            if key.len() < 3 {
                return None;
            }
            let mut words: Vec<&str> = REGION_NAMES.to_vec();
            words.extend(ALIASES.iter().map(|(a, _)| *a).filter(|a| a.len() >= 4));
            words.retain(|w| w.len().abs_diff(key.len()) <= 1);
            exact(crate::base::suggest::suggest(&key, &words)?)
        });
        Err(UnknownRegion { given: s.to_string(), suggestion })
    }
}

/// Round trip between two data centers in the same region (different buildings
/// or availability zones a few tens of kilometres apart), in milliseconds.
pub const SAME_REGION_RTT_MS: f64 = 1.5;
/// Round trip between two machines inside one data center, in milliseconds.
pub const INSIDE_DC_RTT_MS: f64 = 0.5;
/// One hop inside a data center (half of [`INSIDE_DC_RTT_MS`]), in milliseconds.
pub const INSIDE_DC_HOP_MS: f64 = INSIDE_DC_RTT_MS / 2.0;
/// Round trip from a client to the nearest CDN edge location, in milliseconds:
/// mostly the last mile (home broadband or mobile), since edges are close by.
pub const CLIENT_TO_EDGE_RTT_MS: f64 = 15.0;
/// Round trip from a client to a data center in its own region, in milliseconds:
/// the last mile plus a few hundred kilometres of backbone.
pub const CLIENT_TO_REGION_DC_RTT_MS: f64 = 30.0;

// The constants keep their teaching order: a hop inside a building is faster
// than one across town, and the nearby CDN edge beats the regional data center.
const _: () = assert!(INSIDE_DC_RTT_MS < SAME_REGION_RTT_MS);
const _: () = assert!(CLIENT_TO_EDGE_RTT_MS < CLIENT_TO_REGION_DC_RTT_MS);

/// Typical round-trip times between data centers in different regions, in
/// milliseconds, in [`Region::ALL`] order. These are our own round figures of the
/// magnitudes public clouds publish and users measure between their regions
/// (for example Virginia–Ireland about 70–80 ms, Virginia–Oregon about 60–70 ms,
/// Frankfurt–Tokyo or –Singapore 150–250 ms); no single provider's numbers.
///
/// The table is symmetric, and it was chosen to satisfy the triangle inequality,
/// so relaying through a third region is never faster than going direct: the
/// simulation should not reward a detour the real network would not.
/// The diagonal is [`SAME_REGION_RTT_MS`].
#[rustfmt::skip]
const RTT_TABLE_MS: [[f64; 6]; 6] = [
    //  us-east us-west   sa     eu   asia  oceania
    [    1.5,   65.0, 115.0,  80.0, 160.0, 200.0], // us-east
    [   65.0,    1.5, 175.0, 140.0, 105.0, 140.0], // us-west
    [  115.0,  175.0,   1.5, 190.0, 260.0, 310.0], // sa
    [   80.0,  140.0, 190.0,   1.5, 200.0, 260.0], // eu
    [  160.0,  105.0, 260.0, 200.0,   1.5, 110.0], // asia
    [  200.0,  140.0, 310.0, 260.0, 110.0,   1.5], // oceania
];

/// Typical round-trip time between a data center in region `a` and one in
/// region `b`, in milliseconds ([`SAME_REGION_RTT_MS`] when `a == b`).
pub fn rtt_ms(a: Region, b: Region) -> f64 {
    RTT_TABLE_MS[a.index()][b.index()]
}

/// Half of [`rtt_ms`]: the delay of one message, one way.
pub fn one_way_ms(a: Region, b: Region) -> f64 {
    rtt_ms(a, b) / 2.0
}

/// Round trip from a client in region `client` to a data center in region `dc`:
/// the last mile to its own region, plus the backbone between regions if the
/// data center is elsewhere.
pub fn client_rtt_ms(client: Region, dc: Region) -> f64 {
    if client == dc {
        CLIENT_TO_REGION_DC_RTT_MS
    } else {
        CLIENT_TO_REGION_DC_RTT_MS + rtt_ms(client, dc)
    }
}

/// The candidate region with the lowest round trip from `from` (what geo-routing
/// DNS picks), or `None` when there are no candidates. Ties go to the region
/// that comes first in [`Region::ALL`], so the answer never depends on the
/// order of `candidates`.
pub fn nearest(from: Region, candidates: &[Region]) -> Option<Region> {
    // RTTs are finite table constants, so `total_cmp` is the ordinary order.
    candidates.iter().copied().min_by(|&x, &y| rtt_ms(from, x).total_cmp(&rtt_ms(from, y)).then(x.cmp(&y)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_symmetric_and_positive() {
        for a in Region::ALL {
            for b in Region::ALL {
                assert_eq!(rtt_ms(a, b), rtt_ms(b, a), "{a}-{b}");
                assert!(rtt_ms(a, b).is_finite() && rtt_ms(a, b) > 0.0);
                assert_eq!(one_way_ms(a, b) * 2.0, rtt_ms(a, b));
            }
        }
    }

    #[test]
    fn staying_in_the_region_is_fastest() {
        for a in Region::ALL {
            assert_eq!(rtt_ms(a, a), SAME_REGION_RTT_MS);
            for b in Region::ALL.into_iter().filter(|&b| b != a) {
                // Crossing regions costs tens of milliseconds at least.
                assert!(rtt_ms(a, b) >= 50.0 && rtt_ms(a, b) <= 350.0, "{a}-{b}");
                assert!(rtt_ms(a, b) > 10.0 * rtt_ms(a, a));
            }
        }
        assert_eq!(INSIDE_DC_HOP_MS, 0.25);
    }

    #[test]
    fn no_detour_beats_the_direct_path() {
        for a in Region::ALL {
            for b in Region::ALL {
                for c in Region::ALL {
                    assert!(rtt_ms(a, c) <= rtt_ms(a, b) + rtt_ms(b, c), "{a}-{c} via {b}");
                }
            }
        }
    }

    #[test]
    fn table_matches_the_documented_magnitudes() {
        use Region::*;
        let within = |a, b, lo: f64, hi: f64| {
            let v = rtt_ms(a, b);
            assert!((lo..=hi).contains(&v), "{a}-{b}: {v} not in {lo}..={hi}");
        };
        within(UsEast, Europe, 75.0, 90.0);
        within(UsEast, UsWest, 60.0, 70.0);
        within(Europe, Asia, 150.0, 250.0);
        within(UsWest, Asia, 90.0, 130.0);
        within(Asia, Oceania, 90.0, 130.0);
        within(SouthAmerica, Oceania, 280.0, 340.0);
        assert!((0.2..=0.5).contains(&INSIDE_DC_RTT_MS));
        assert!((1.0..=2.0).contains(&SAME_REGION_RTT_MS));
        assert!((10.0..=20.0).contains(&CLIENT_TO_EDGE_RTT_MS));
        assert!((20.0..=40.0).contains(&CLIENT_TO_REGION_DC_RTT_MS));
    }

    #[test]
    fn clients_pay_the_last_mile_then_the_backbone() {
        assert_eq!(client_rtt_ms(Region::Europe, Region::Europe), 30.0);
        assert_eq!(client_rtt_ms(Region::Europe, Region::UsEast), 110.0);
        for a in Region::ALL {
            for b in Region::ALL {
                assert!(client_rtt_ms(a, b) >= client_rtt_ms(a, a));
            }
        }
    }

    #[test]
    fn nearest_prefers_home_then_the_closest() {
        for a in Region::ALL {
            assert_eq!(nearest(a, &Region::ALL), Some(a));
            assert_eq!(nearest(a, &[a]), Some(a));
        }
        assert_eq!(nearest(Region::Europe, &[]), None);
        assert_eq!(nearest(Region::Europe, &[Region::Asia, Region::UsEast, Region::UsWest]), Some(Region::UsEast));
        assert_eq!(nearest(Region::Oceania, &[Region::Europe, Region::Asia, Region::UsEast]), Some(Region::Asia));
        assert_eq!(nearest(Region::SouthAmerica, &[Region::Europe, Region::UsWest]), Some(Region::UsWest));
    }

    #[test]
    fn nearest_does_not_depend_on_candidate_order() {
        // Every ordered pair and its reverse, and every rotation of ALL.
        for from in Region::ALL {
            for x in Region::ALL {
                for y in Region::ALL {
                    assert_eq!(nearest(from, &[x, y]), nearest(from, &[y, x]));
                }
            }
            for k in 0..Region::ALL.len() {
                let mut rotated = Region::ALL;
                rotated.rotate_left(k);
                assert_eq!(
                    nearest(from, &rotated[1..]),
                    nearest(from, &{
                        let mut v = rotated[1..].to_vec();
                        v.reverse();
                        v
                    })
                );
            }
        }
        // With equal RTTs (the same region twice) the first in ALL order wins.
        assert_eq!(nearest(Region::Asia, &[Region::Europe, Region::Europe]), Some(Region::Europe));
    }

    #[test]
    fn names_parse_and_round_trip() {
        for (r, name) in Region::ALL.into_iter().zip(REGION_NAMES) {
            assert_eq!(r.name(), name);
            assert_eq!(r.to_string(), name);
            assert_eq!(name.parse::<Region>(), Ok(r));
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<Region>(&format!("\"{name}\"")).unwrap(), r);
            assert_eq!(Region::ALL[r.index()], r);
            assert!(!r.label().is_empty());
        }
        assert_eq!(" US-East ".parse::<Region>(), Ok(Region::UsEast));
        assert_eq!("us_west".parse::<Region>(), Ok(Region::UsWest));
    }

    #[test]
    fn unknown_names_get_a_suggestion() {
        let suggest = |s: &str| s.parse::<Region>().unwrap_err().suggestion;
        assert_eq!(suggest("us-eats"), Some(Region::UsEast));
        assert_eq!(suggest("us-east-1"), Some(Region::UsEast));
        assert_eq!(suggest("europe"), Some(Region::Europe));
        assert_eq!(suggest("Eurpoe"), Some(Region::Europe));
        assert_eq!(suggest("asai"), Some(Region::Asia));
        assert_eq!(suggest("australia"), Some(Region::Oceania));
        assert_eq!(suggest("brazil"), Some(Region::SouthAmerica));
        assert_eq!(suggest("oceana"), Some(Region::Oceania));
        assert_eq!(suggest("mars"), None);
        assert_eq!(suggest(""), None);
        assert_eq!(suggest("xy"), None);
        assert_eq!(suggest("UK"), Some(Region::Europe));
        assert_eq!(suggest("eu-west-1"), Some(Region::Europe));
        assert_eq!(suggest("us-west-2"), Some(Region::UsWest));
        assert_eq!(suggest("sa-east-1"), Some(Region::SouthAmerica));
        assert_eq!(suggest("ap-northeast-1"), Some(Region::Asia));

        let msg = "europe".parse::<Region>().unwrap_err().to_string();
        assert_eq!(
            msg,
            "\"europe\" is not a region; use one of \"us-east\", \"us-west\", \"sa\", \"eu\", \"asia\", \"oceania\"; did you mean \"eu\" (Europe)?"
        );
        let msg = "mars".parse::<Region>().unwrap_err().to_string();
        assert!(msg.ends_with("\"oceania\""), "{msg}");
        assert!(serde_json::from_str::<Region>("\"mars\"").is_err());
    }
}
