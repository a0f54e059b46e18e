//! Pricing: what an architecture costs per month.
//!
//! Cost is one of the honest numbers the dashboard shows: a bigger database is
//! not free, and the largest one is eye-wateringly expensive. The figures are our
//! own round numbers in the magnitude of public-cloud on-demand list prices
//! (US regions, no discounts, no free tiers), good for comparing architectures,
//! not for a budget. A month is 730 hours, the convention cloud bills use.
//!
//! Inputs are plain numbers (counts, GB per month, millions of requests per
//! month) so the engine can price what it measured and add the lines up.
//! Quantities must be finite, not negative and at most [`MAX_QUANTITY`]: anything
//! else is an error, never clamped, so every price returned is a finite number.

use std::fmt;

use serde::Serialize;

use crate::blocks::geo::Region;

/// Hours in a billing month (365 × 24 / 12).
pub const HOURS_PER_MONTH: f64 = 730.0;
/// Seconds in a billing month, to turn measured rates into monthly volumes.
pub const SECONDS_PER_MONTH: f64 = HOURS_PER_MONTH * 3600.0;
/// The largest quantity accepted (GB, GiB, millions of requests, per month): far
/// beyond any real system, and small enough that every product stays finite.
pub const MAX_QUANTITY: f64 = 1e12;

/// A machine size on a vertical-scaling ladder.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct InstanceSize {
    /// The name used in scenario files (`"large"`).
    pub name: &'static str,
    pub vcpu: u32,
    pub ram_gib: u32,
    /// How many times the smallest size's workers this size runs. The simulation
    /// scales worker counts with vCPU, so this is `vcpu / smallest vcpu`.
    pub worker_factor: u32,
    /// On-demand price per month, US dollars.
    pub monthly_usd: f64,
}

const fn size(name: &'static str, vcpu: u32, ram_gib: u32, monthly_usd: f64) -> InstanceSize {
    // Both ladders start at 1 vCPU, so the worker factor is the vCPU count.
    InstanceSize { name, vcpu, ram_gib, worker_factor: vcpu, monthly_usd }
}

/// General-purpose machines, for web servers and queue workers: 4 GiB of RAM per
/// vCPU at about $35 per vCPU-month (≈ $0.048 an hour), so every step up doubles
/// vCPU, RAM and price. The top, 128 vCPU, is a hard limit: past it the only way
/// to grow is out (more servers behind a load balancer), which is the lesson.
pub const GENERAL_PURPOSE_SIZES: [InstanceSize; 8] = [
    size("small", 1, 4, 35.0),
    size("medium", 2, 8, 70.0),
    size("large", 4, 16, 140.0),
    size("xlarge", 8, 32, 280.0),
    size("2xlarge", 16, 64, 560.0),
    size("4xlarge", 32, 128, 1_120.0),
    size("8xlarge", 64, 256, 2_240.0),
    size("16xlarge", 128, 512, 4_480.0),
];

/// Managed relational database machines, memory-optimised: 8 GiB of RAM per vCPU
/// at about $90 per vCPU-month (the managed-service premium included), doubling
/// per step up to 24xlarge (192 vCPU, 1.5 TiB). The top size, "huge" (448 vCPU,
/// 24 TiB of RAM), is the kind of specialised high-memory machine clouds rent
/// for the biggest single databases: about $160,000 a month, roughly 4× the
/// ladder's price per vCPU. It is the ceiling of vertical scaling; beyond it the
/// data must be split (replicas for reads, shards for writes).
pub const DATABASE_SIZES: [InstanceSize; 10] = [
    size("small", 1, 8, 90.0),
    size("medium", 2, 16, 180.0),
    size("large", 4, 32, 360.0),
    size("xlarge", 8, 64, 720.0),
    size("2xlarge", 16, 128, 1_440.0),
    size("4xlarge", 32, 256, 2_880.0),
    size("8xlarge", 64, 512, 5_760.0),
    size("16xlarge", 128, 1_024, 11_520.0),
    size("24xlarge", 192, 1_536, 17_280.0),
    size("huge", 448, 24_576, 160_000.0),
];

/// Which ladder a machine comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InstanceKind {
    /// Web servers (general-purpose ladder).
    WebServer,
    /// Queue consumers (general-purpose ladder, like web servers).
    Worker,
    /// Relational databases, primaries and replicas (database ladder).
    Database,
}

impl InstanceKind {
    /// The ladder of sizes, smallest first.
    pub fn sizes(self) -> &'static [InstanceSize] {
        match self {
            InstanceKind::WebServer | InstanceKind::Worker => &GENERAL_PURPOSE_SIZES,
            InstanceKind::Database => &DATABASE_SIZES,
        }
    }

    /// The largest size: a hard limit.
    pub fn largest(self) -> &'static InstanceSize {
        let sizes = self.sizes();
        &sizes[sizes.len() - 1]
    }

    /// The smallest size (the default for a new node).
    pub fn smallest(self) -> &'static InstanceSize {
        &self.sizes()[0]
    }

    /// Words for messages: "web server", "database".
    pub fn noun(self) -> &'static str {
        match self {
            InstanceKind::WebServer => "web server",
            InstanceKind::Worker => "worker",
            InstanceKind::Database => "database",
        }
    }
}

/// A pricing question that has no answer, worded for the person who asked it.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum PricingError {
    /// A size name that is not on the ladder at all.
    UnknownSize { kind: InstanceKind, given: String, suggestion: Option<&'static str> },
    /// A size that exists, but only on a bigger ladder ("huge" for a web server),
    /// or a step up / capacity beyond the top size.
    AboveLargest { kind: InstanceKind, asked: String },
    /// A quantity that is negative, NaN, infinite or above [`MAX_QUANTITY`].
    InvalidQuantity { what: &'static str, value: f64 },
}

impl fmt::Display for PricingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PricingError::UnknownSize { kind, given, suggestion } => {
                let list = kind.sizes().iter().map(|s| format!("\"{}\"", s.name)).collect::<Vec<_>>().join(", ");
                write!(f, "\"{given}\" is not a {} size; use one of {list}", kind.noun())?;
                if let Some(s) = suggestion {
                    write!(f, "; did you mean \"{s}\"?")?;
                }
                Ok(())
            }
            PricingError::AboveLargest { kind, asked } => {
                let top = kind.largest();
                write!(
                    f,
                    "{asked} is above the largest {} size, \"{}\" ({} vCPU, {} GiB); to grow further, scale out instead of up",
                    kind.noun(),
                    top.name,
                    top.vcpu,
                    top.ram_gib
                )
            }
            PricingError::InvalidQuantity { what, value } => write!(
                f,
                "{what} of {value} is not a quantity that can be priced; use a number from 0 to {MAX_QUANTITY:e}"
            ),
        }
    }
}

impl std::error::Error for PricingError {}

/// The size called `name` on `kind`'s ladder (names are matched exactly, in
/// lower case, as scenario files write them).
pub fn instance_size(kind: InstanceKind, name: &str) -> Result<&'static InstanceSize, PricingError> {
    if let Some(s) = kind.sizes().iter().find(|s| s.name == name) {
        return Ok(s);
    }
    // A size from the bigger ladder is not a typo: it is asking for too much.
    if DATABASE_SIZES.iter().any(|s| s.name == name) {
        return Err(PricingError::AboveLargest { kind, asked: format!("\"{name}\"") });
    }
    let names: Vec<&'static str> = kind.sizes().iter().map(|s| s.name).collect();
    let suggestion = crate::base::suggest::suggest(&name.trim().to_ascii_lowercase(), &names);
    Err(PricingError::UnknownSize { kind, given: name.to_string(), suggestion })
}

/// The next size up from `name`: what "scale up" does. Asking past the top is
/// an error.
pub fn next_size_up(kind: InstanceKind, name: &str) -> Result<&'static InstanceSize, PricingError> {
    let current = instance_size(kind, name)?;
    let sizes = kind.sizes();
    let i = sizes.iter().position(|s| s.name == current.name).unwrap_or(0);
    sizes.get(i + 1).ok_or_else(|| PricingError::AboveLargest { kind, asked: format!("one size up from \"{name}\"") })
}

/// The smallest size with at least `vcpu` vCPU, or an error when even the top
/// size has fewer.
pub fn smallest_with_vcpu(kind: InstanceKind, vcpu: u32) -> Result<&'static InstanceSize, PricingError> {
    kind.sizes()
        .iter()
        .find(|s| s.vcpu >= vcpu)
        .ok_or_else(|| PricingError::AboveLargest { kind, asked: format!("{vcpu} vCPU") })
}

/// `count` machines of size `size` for a month.
pub fn instances_monthly_usd(kind: InstanceKind, size: &str, count: u32) -> Result<f64, PricingError> {
    Ok(instance_size(kind, size)?.monthly_usd * f64::from(count))
}

/// A managed load balancer: about $20 a month each, plus $0.008 per GB it
/// processes (the capacity-unit charge, expressed per GB).
pub const LOAD_BALANCER_MONTHLY_USD: f64 = 20.0;
pub const LOAD_BALANCER_PER_GB_USD: f64 = 0.008;
/// A rate limiter: an API gateway (Envoy, Kong, NGINX) on the smallest
/// general-purpose machine, about $35 a month. A fully managed gateway bills
/// per million requests instead; like the balancer's per-GB charge, that is
/// left out of the node's price.
pub const RATE_LIMITER_MONTHLY_USD: f64 = GENERAL_PURPOSE_SIZES[0].monthly_usd;
/// In-memory cache nodes: about $12 per GiB of cache memory per month (a
/// memory-optimised node with ~13 GiB rents for ~$150).
pub const CACHE_PER_GIB_MONTH_USD: f64 = 12.0;
/// CDN requests: about $1 per million HTTPS requests, everywhere.
pub const CDN_PER_MILLION_REQUESTS_USD: f64 = 1.0;
/// A managed message queue: about $0.40 per million API requests (send,
/// receive and delete are one request each).
pub const QUEUE_PER_MILLION_REQUESTS_USD: f64 = 0.40;
/// On-demand NoSQL: about $0.25 per million reads, $1.25 per million writes,
/// $0.25 per GB stored per month.
pub const NOSQL_PER_MILLION_READS_USD: f64 = 0.25;
pub const NOSQL_PER_MILLION_WRITES_USD: f64 = 1.25;
pub const NOSQL_PER_GB_MONTH_USD: f64 = 0.25;
/// Provisioned NoSQL, one partition's worth of capacity (about 3,000 reads/s and
/// 1,000 writes/s) for a month: 1,000 write units × $0.00065/h plus 3,000 read
/// units × $0.00013/h, × 730 h ≈ $760.
pub const NOSQL_PARTITION_MONTHLY_USD: f64 = 760.0;
/// Transfer between data centers of one region (across availability zones).
pub const SAME_REGION_TRANSFER_PER_GB_USD: f64 = 0.01;
/// Transfer from servers to users over the internet (without a CDN).
pub const INTERNET_EGRESS_PER_GB_USD: f64 = 0.09;

/// CDN price per GB served from edges in `region`: North America and Europe are
/// cheapest, South America and Asia-Pacific cost a third to a half more.
pub fn cdn_per_gb_usd(region: Region) -> f64 {
    match region {
        Region::UsEast | Region::UsWest | Region::Europe => 0.085,
        Region::SouthAmerica => 0.11,
        Region::Asia => 0.12,
        Region::Oceania => 0.114,
    }
}

/// Price per GB sent from a data center in `from` to one in `to`. Leaving the
/// US or Europe is cheap; leaving South America or Asia-Pacific costs several
/// times more, which is why cross-region replication has a bill attached.
pub fn transfer_per_gb_usd(from: Region, to: Region) -> f64 {
    if from == to {
        return SAME_REGION_TRANSFER_PER_GB_USD;
    }
    match from {
        Region::UsEast | Region::UsWest | Region::Europe => 0.02,
        Region::Asia => 0.09,
        Region::Oceania => 0.10,
        Region::SouthAmerica => 0.14,
    }
}

/// Checks one quantity: finite, not negative, at most [`MAX_QUANTITY`].
fn quantity(what: &'static str, value: f64) -> Result<f64, PricingError> {
    if value.is_finite() && (0.0..=MAX_QUANTITY).contains(&value) {
        // `+ 0.0` turns -0.0 into 0.0, so no bill ever reads "-$0".
        Ok(value + 0.0)
    } else {
        Err(PricingError::InvalidQuantity { what, value })
    }
}

/// `count` load balancers processing `gb_processed` GB in total this month.
pub fn load_balancer_monthly_usd(count: u32, gb_processed: f64) -> Result<f64, PricingError> {
    let gb = quantity("GB processed", gb_processed)?;
    Ok(f64::from(count) * LOAD_BALANCER_MONTHLY_USD + gb * LOAD_BALANCER_PER_GB_USD)
}

/// `count` cache nodes of `memory_gib` GiB each.
pub fn cache_nodes_monthly_usd(count: u32, memory_gib: f64) -> Result<f64, PricingError> {
    let gib = quantity("cache memory (GiB)", memory_gib)?;
    Ok(f64::from(count) * gib * CACHE_PER_GIB_MONTH_USD)
}

/// A CDN serving `gb_served` GB and `million_requests` million requests from
/// edges in `region`.
pub fn cdn_monthly_usd(region: Region, gb_served: f64, million_requests: f64) -> Result<f64, PricingError> {
    let gb = quantity("CDN GB served", gb_served)?;
    let mreq = quantity("CDN requests (millions)", million_requests)?;
    Ok(gb * cdn_per_gb_usd(region) + mreq * CDN_PER_MILLION_REQUESTS_USD)
}

/// A message queue handling `million_requests` million requests.
pub fn queue_monthly_usd(million_requests: f64) -> Result<f64, PricingError> {
    Ok(quantity("queue requests (millions)", million_requests)? * QUEUE_PER_MILLION_REQUESTS_USD)
}

/// An on-demand NoSQL table: pay per read, per write and per GB stored.
pub fn nosql_on_demand_monthly_usd(
    million_reads: f64,
    million_writes: f64,
    storage_gb: f64,
) -> Result<f64, PricingError> {
    let r = quantity("NoSQL reads (millions)", million_reads)?;
    let w = quantity("NoSQL writes (millions)", million_writes)?;
    let gb = quantity("NoSQL storage (GB)", storage_gb)?;
    Ok(r * NOSQL_PER_MILLION_READS_USD + w * NOSQL_PER_MILLION_WRITES_USD + gb * NOSQL_PER_GB_MONTH_USD)
}

/// A provisioned NoSQL store of `partitions` partitions.
pub fn nosql_partitions_monthly_usd(partitions: u32) -> f64 {
    f64::from(partitions) * NOSQL_PARTITION_MONTHLY_USD
}

/// `gb` sent from a data center in `from` to one in `to`.
pub fn transfer_monthly_usd(from: Region, to: Region, gb: f64) -> Result<f64, PricingError> {
    Ok(quantity("GB transferred", gb)? * transfer_per_gb_usd(from, to))
}

/// `gb` served straight from servers to users over the internet.
pub fn internet_egress_monthly_usd(gb: f64) -> Result<f64, PricingError> {
    Ok(quantity("GB sent to the internet", gb)? * INTERNET_EGRESS_PER_GB_USD)
}

/// A monthly volume from a measured rate: `per_second × SECONDS_PER_MONTH`.
/// Handy for turning simulated requests/s or bytes/s into billing units.
pub fn per_month(per_second: f64) -> Result<f64, PricingError> {
    // Checked before and after: a valid rate can still make an absurd volume.
    let volume = quantity("rate per second", per_second)? * SECONDS_PER_MONTH;
    quantity("monthly volume", volume)
}

/// One line of a monthly bill: a component kind and its plain-number usage.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item<'a> {
    Instances { kind: InstanceKind, size: &'a str, count: u32 },
    LoadBalancers { count: u32, gb_processed: f64 },
    CacheNodes { count: u32, memory_gib: f64 },
    Cdn { region: Region, gb_served: f64, million_requests: f64 },
    Queue { million_requests: f64 },
    NoSqlOnDemand { million_reads: f64, million_writes: f64, storage_gb: f64 },
    NoSqlPartitions { partitions: u32 },
    Transfer { from: Region, to: Region, gb: f64 },
    InternetEgress { gb: f64 },
}

/// The monthly cost of one bill line, in US dollars.
pub fn monthly_cost(item: &Item<'_>) -> Result<f64, PricingError> {
    match *item {
        Item::Instances { kind, size, count } => instances_monthly_usd(kind, size, count),
        Item::LoadBalancers { count, gb_processed } => load_balancer_monthly_usd(count, gb_processed),
        Item::CacheNodes { count, memory_gib } => cache_nodes_monthly_usd(count, memory_gib),
        Item::Cdn { region, gb_served, million_requests } => cdn_monthly_usd(region, gb_served, million_requests),
        Item::Queue { million_requests } => queue_monthly_usd(million_requests),
        Item::NoSqlOnDemand { million_reads, million_writes, storage_gb } => {
            nosql_on_demand_monthly_usd(million_reads, million_writes, storage_gb)
        }
        Item::NoSqlPartitions { partitions } => Ok(nosql_partitions_monthly_usd(partitions)),
        Item::Transfer { from, to, gb } => transfer_monthly_usd(from, to, gb),
        Item::InternetEgress { gb } => internet_egress_monthly_usd(gb),
    }
}

/// The whole bill: the lines added in the order given (so the sum is
/// reproducible to the bit). The first line that cannot be priced is the error.
pub fn total_monthly_cost(items: &[Item<'_>]) -> Result<f64, PricingError> {
    items.iter().try_fold(0.0, |sum, item| Ok(sum + monthly_cost(item)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KINDS: [InstanceKind; 3] = [InstanceKind::WebServer, InstanceKind::Worker, InstanceKind::Database];

    #[test]
    fn ladders_increase_in_every_respect() {
        for kind in KINDS {
            let sizes = kind.sizes();
            assert_eq!(sizes[0].vcpu, 1);
            for w in sizes.windows(2) {
                let (a, b) = (&w[0], &w[1]);
                assert!(b.vcpu > a.vcpu && b.ram_gib > a.ram_gib, "{} -> {}", a.name, b.name);
                assert!(b.monthly_usd > a.monthly_usd && b.worker_factor > a.worker_factor);
            }
            for s in sizes {
                assert_eq!(s.worker_factor, s.vcpu / sizes[0].vcpu);
                assert!(s.monthly_usd.is_finite() && s.monthly_usd > 0.0);
            }
            // Names are unique on a ladder.
            for (i, s) in sizes.iter().enumerate() {
                assert!(sizes[i + 1..].iter().all(|t| t.name != s.name));
            }
        }
    }

    #[test]
    fn price_follows_size_except_the_premium_top() {
        // The documented rule: price per vCPU is constant along each ladder (so
        // doubling the machine doubles the bill), except the database "huge",
        // which costs about 4x per vCPU.
        for kind in KINDS {
            let sizes = kind.sizes();
            let unit = sizes[0].monthly_usd / f64::from(sizes[0].vcpu);
            for s in sizes {
                let per_vcpu = s.monthly_usd / f64::from(s.vcpu);
                if s.name == "huge" {
                    let premium = per_vcpu / unit;
                    assert!((3.0..=5.0).contains(&premium), "premium {premium}");
                } else {
                    assert!((per_vcpu / unit - 1.0).abs() < 0.01, "{}: {per_vcpu}/vCPU vs {unit}", s.name);
                }
            }
            for w in sizes.windows(2) {
                if w[1].vcpu == 2 * w[0].vcpu && w[1].name != "huge" {
                    let ratio = w[1].monthly_usd / w[0].monthly_usd;
                    assert!((1.9..=2.1).contains(&ratio), "{} -> {}: x{ratio}", w[0].name, w[1].name);
                }
            }
        }
        assert_eq!(InstanceKind::Database.largest().vcpu, 448);
        assert_eq!(InstanceKind::Database.largest().ram_gib, 24 * 1024);
        assert!(InstanceKind::WebServer.largest().vcpu < InstanceKind::Database.largest().vcpu);
    }

    #[test]
    fn the_top_size_is_a_hard_limit() {
        let web = InstanceKind::WebServer;
        assert_eq!(next_size_up(web, "small").unwrap().name, "medium");
        assert_eq!(next_size_up(web, "8xlarge").unwrap().name, "16xlarge");
        let e = next_size_up(web, "16xlarge").unwrap_err();
        assert!(matches!(e, PricingError::AboveLargest { .. }));
        assert!(e.to_string().contains("\"16xlarge\" (128 vCPU, 512 GiB)"), "{e}");
        assert!(next_size_up(InstanceKind::Database, "huge").is_err());
        assert_eq!(next_size_up(InstanceKind::Database, "24xlarge").unwrap().name, "huge");

        // Database-only sizes are "too big", not "unknown", for a web server.
        let e = instance_size(web, "huge").unwrap_err();
        assert!(matches!(e, PricingError::AboveLargest { .. }), "{e:?}");
        assert!(e.to_string().starts_with("\"huge\" is above the largest web server size"), "{e}");
        assert!(instance_size(InstanceKind::Worker, "24xlarge").is_err());

        assert_eq!(smallest_with_vcpu(web, 0).unwrap().name, "small");
        assert_eq!(smallest_with_vcpu(web, 3).unwrap().name, "large");
        assert_eq!(smallest_with_vcpu(web, 128).unwrap().name, "16xlarge");
        assert!(smallest_with_vcpu(web, 129).is_err());
        assert_eq!(smallest_with_vcpu(InstanceKind::Database, 200).unwrap().name, "huge");
        let e = smallest_with_vcpu(InstanceKind::Database, 449).unwrap_err();
        assert!(e.to_string().contains("449 vCPU is above the largest database size, \"huge\""), "{e}");
    }

    #[test]
    fn unknown_sizes_suggest_the_right_one() {
        let e = instance_size(InstanceKind::Database, "2xlrage").unwrap_err();
        assert_eq!(
            e,
            PricingError::UnknownSize {
                kind: InstanceKind::Database,
                given: "2xlrage".into(),
                suggestion: Some("2xlarge")
            }
        );
        assert!(e.to_string().ends_with("did you mean \"2xlarge\"?"), "{e}");
        assert!(e.to_string().contains("\"small\", \"medium\""));
        let e = instance_size(InstanceKind::WebServer, "gigantic").unwrap_err();
        assert!(matches!(e, PricingError::UnknownSize { suggestion: None, .. }));
        assert!(matches!(
            instance_size(InstanceKind::WebServer, "Large").unwrap_err(),
            PricingError::UnknownSize { suggestion: Some("large"), .. }
        ));
    }

    #[test]
    fn instance_bills_multiply_out() {
        assert_eq!(instances_monthly_usd(InstanceKind::WebServer, "large", 3).unwrap(), 420.0);
        assert_eq!(instances_monthly_usd(InstanceKind::Database, "huge", 1).unwrap(), 160_000.0);
        assert_eq!(instances_monthly_usd(InstanceKind::Database, "small", 0).unwrap(), 0.0);
        // The most machines one could ask for is still a finite bill.
        let most = instances_monthly_usd(InstanceKind::Database, "huge", u32::MAX).unwrap();
        assert!(most.is_finite());
    }

    #[test]
    fn zero_usage_costs_zero() {
        assert_eq!(load_balancer_monthly_usd(0, 0.0).unwrap(), 0.0);
        assert_eq!(cache_nodes_monthly_usd(0, 13.0).unwrap(), 0.0);
        assert_eq!(nosql_partitions_monthly_usd(0), 0.0);
        assert_eq!(queue_monthly_usd(0.0).unwrap(), 0.0);
        assert_eq!(nosql_on_demand_monthly_usd(0.0, 0.0, 0.0).unwrap(), 0.0);
        assert_eq!(internet_egress_monthly_usd(0.0).unwrap(), 0.0);
        assert_eq!(per_month(0.0).unwrap(), 0.0);
        for a in Region::ALL {
            assert_eq!(cdn_monthly_usd(a, 0.0, 0.0).unwrap(), 0.0);
            for b in Region::ALL {
                assert_eq!(transfer_monthly_usd(a, b, 0.0).unwrap(), 0.0);
            }
        }
        // A load balancer that is running but idle still costs its hourly fee.
        assert_eq!(load_balancer_monthly_usd(2, 0.0).unwrap(), 40.0);
    }

    #[test]
    fn usage_prices_are_linear() {
        assert!((cdn_monthly_usd(Region::Europe, 1_000.0, 10.0).unwrap() - 95.0).abs() < 1e-9);
        assert!((queue_monthly_usd(250.0).unwrap() - 100.0).abs() < 1e-9);
        assert!((nosql_on_demand_monthly_usd(100.0, 10.0, 40.0).unwrap() - 47.5).abs() < 1e-9);
        assert!((transfer_monthly_usd(Region::UsEast, Region::Europe, 1_000.0).unwrap() - 20.0).abs() < 1e-9);
        assert!((transfer_monthly_usd(Region::SouthAmerica, Region::UsEast, 1_000.0).unwrap() - 140.0).abs() < 1e-9);
        assert!((cache_nodes_monthly_usd(3, 13.0).unwrap() - 468.0).abs() < 1e-9);
        assert!((load_balancer_monthly_usd(1, 10_000.0).unwrap() - 100.0).abs() < 1e-9);
        // 1,000 requests/s all month is 2,628 million requests.
        assert!((per_month(1_000.0).unwrap() / 1e6 - 2_628.0).abs() < 1e-9);
        // Cheaper to serve from a CDN edge than straight from the servers.
        for r in Region::ALL {
            assert!(cdn_per_gb_usd(r) > 0.0);
            assert!(transfer_per_gb_usd(r, r) < transfer_per_gb_usd(r, Region::ALL[(r.index() + 1) % 6]));
        }
        assert!(cdn_per_gb_usd(Region::UsEast) < INTERNET_EGRESS_PER_GB_USD);
        // The partition price is the sum its doc comment gives.
        let derived = (1_000.0 * 0.00065 + 3_000.0 * 0.00013) * HOURS_PER_MONTH;
        assert!((derived - NOSQL_PARTITION_MONTHLY_USD).abs() < 5.0, "{derived}");
    }

    #[test]
    fn bad_quantities_are_errors_never_nan() {
        let bad = [f64::NAN, -1.0, -0.001, f64::INFINITY, f64::NEG_INFINITY, 1e13, f64::MAX];
        for v in bad {
            let results = [
                load_balancer_monthly_usd(1, v),
                cache_nodes_monthly_usd(1, v),
                cdn_monthly_usd(Region::Asia, v, 0.0),
                cdn_monthly_usd(Region::Asia, 0.0, v),
                queue_monthly_usd(v),
                nosql_on_demand_monthly_usd(v, 0.0, 0.0),
                nosql_on_demand_monthly_usd(0.0, v, 0.0),
                nosql_on_demand_monthly_usd(0.0, 0.0, v),
                transfer_monthly_usd(Region::Asia, Region::Europe, v),
                internet_egress_monthly_usd(v),
                per_month(v),
            ];
            for r in results {
                let e = r.unwrap_err();
                assert!(matches!(e, PricingError::InvalidQuantity { .. }));
                assert!(e.to_string().contains("use a number from 0 to 1e12"), "{e}");
            }
        }
        // -0.0 is zero, and the largest accepted quantity gives a finite price.
        assert!(queue_monthly_usd(-0.0).unwrap().is_sign_positive());
        let items = [
            Item::LoadBalancers { count: u32::MAX, gb_processed: MAX_QUANTITY },
            Item::CacheNodes { count: u32::MAX, memory_gib: MAX_QUANTITY },
            Item::Cdn { region: Region::Asia, gb_served: MAX_QUANTITY, million_requests: MAX_QUANTITY },
            Item::NoSqlOnDemand { million_reads: MAX_QUANTITY, million_writes: MAX_QUANTITY, storage_gb: MAX_QUANTITY },
            Item::Transfer { from: Region::SouthAmerica, to: Region::Asia, gb: MAX_QUANTITY },
        ];
        for item in &items {
            assert!(monthly_cost(item).unwrap().is_finite(), "{item:?}");
        }
        assert!(total_monthly_cost(&items).unwrap().is_finite());
        // A rate that is fine per second but absurd per month is refused too.
        assert!(per_month(1e9).is_err());
    }

    #[test]
    fn a_bill_adds_up_in_order() {
        let bill = [
            Item::Instances { kind: InstanceKind::WebServer, size: "large", count: 4 },
            Item::Instances { kind: InstanceKind::Database, size: "2xlarge", count: 2 },
            Item::LoadBalancers { count: 1, gb_processed: 2_000.0 },
            Item::CacheNodes { count: 2, memory_gib: 13.0 },
            Item::Cdn { region: Region::UsEast, gb_served: 10_000.0, million_requests: 100.0 },
            Item::Queue { million_requests: 50.0 },
            Item::NoSqlPartitions { partitions: 2 },
            Item::Transfer { from: Region::UsEast, to: Region::Europe, gb: 500.0 },
            Item::InternetEgress { gb: 100.0 },
        ];
        // 560 + 2,880 + 36 + 312 + 950 + 20 + 1,520 + 10 + 9
        let total = total_monthly_cost(&bill).unwrap();
        assert!((total - 6_297.0).abs() < 1e-9, "{total}");
        let mut with_bad = bill.to_vec();
        with_bad.push(Item::Instances { kind: InstanceKind::WebServer, size: "huge", count: 1 });
        assert!(total_monthly_cost(&with_bad).is_err());
        assert_eq!(total_monthly_cost(&[]).unwrap(), 0.0);
    }
}
