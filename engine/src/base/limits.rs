//! The ranges the engine accepts. Values outside them are refused with a message
//! (never clamped silently): they are either nonsense or beyond what a browser can
//! simulate request by request.

/// Largest scenario document read, in bytes.
pub const MAX_DOCUMENT_BYTES: usize = 1 << 20;
pub const MAX_NODES: usize = 500;
pub const MAX_LINKS: usize = 2_000;
pub const MAX_ID_LEN: usize = 64;
/// 30 simulated days.
pub const MAX_DURATION_S: f64 = 30.0 * 86_400.0;
/// Ten million requests per second from one source.
pub const MAX_RPS: f64 = 10_000_000.0;
pub const MAX_POPULATION: u64 = 1_000_000_000;
/// Daily active users of one source (the traffic dial goes to 100 million).
pub const MAX_DAU: f64 = 1e9;
pub const MAX_WORKERS: u32 = 100_000;
/// One hour of service time.
pub const MAX_SERVICE_MS: f64 = 3_600_000.0;
pub const MAX_CV: f64 = 20.0;
pub const MAX_QUEUE_LIMIT: u64 = 10_000_000;
pub const MAX_TIMEOUT_MS: f64 = 3_600_000.0;
/// One minute one way: more than any real network path.
pub const MAX_LATENCY_MS: f64 = 60_000.0;
/// Detection plus promotion (databases) or takeover (balancer pairs): an hour.
pub const MAX_FAILOVER_S: f64 = 3_600.0;
/// Health-check probes at most every ten minutes.
pub const MAX_CHECK_INTERVAL_S: f64 = 600.0;
pub const MAX_CHECK_THRESHOLD: u64 = 20;
/// A rate limiter's bucket: at most a billion requests at once.
pub const MAX_LIMITER_BURST: u64 = 1_000_000_000;
/// A rate limiter's sliding window: from a millisecond to an hour (limits are
/// usually per second, per minute or per hour).
pub const MIN_LIMITER_WINDOW_S: f64 = 0.001;
pub const MAX_LIMITER_WINDOW_S: u64 = 3_600;
/// Contention (a station slower when busy): each request beyond the knee
/// adds at most this share of the normal service time...
pub const MAX_CONTENTION_SLOPE: f64 = 1.0;
/// ...and the service time grows to at most this multiple of the normal one
/// (a server ten times slower than usual is thrashing already).
pub const MAX_CONTENTION_FACTOR: f64 = 10.0;
/// Requests at a station before contention starts.
pub const MAX_CONTENTION_KNEE: u64 = 10_000_000;
/// Attempts a caller may make per request, the first included (a call
/// policy's `max_attempts`): nine retries is far beyond any sane client.
pub const MAX_ATTEMPTS: u64 = 10;
/// A retry budget's size, in retries.
pub const MAX_RETRY_TOKENS: u64 = 1_000;
/// A retry budget's refill per success: a thousandth of a token at least.
pub const MIN_RETRY_REFILL: f64 = 0.001;
/// A circuit breaker's window, in seconds (one bucket a second).
pub const MAX_BREAKER_WINDOW_S: u64 = 600;
/// A circuit breaker's cooldown, in seconds (a millisecond at least).
pub const MIN_BREAKER_COOLDOWN_S: f64 = 0.001;
pub const MAX_BREAKER_COOLDOWN_S: f64 = 3_600.0;
/// A circuit breaker's minimum of calls before it may open.
pub const MAX_BREAKER_MIN_CALLS: u64 = 1_000_000;
/// A circuit breaker's trial calls when half-open.
pub const MAX_BREAKER_TRIALS: u64 = 1_000;
/// A circuit breaker's failed share that opens it: at least this much.
pub const MIN_BREAKER_THRESHOLD: f64 = 0.01;
/// Connections in a caller's pool, per wire.
pub const MAX_POOL_SIZE: u64 = 100_000;
/// A cache's early-refresh β: beyond this, keys are refreshed long before
/// they expire (β multiplies the fill time in the refresh window).
pub const MAX_EARLY_REFRESH: f64 = 100.0;
/// Faults a scenario may schedule.
pub const MAX_SCHEDULED_FAULTS: usize = 1_000;
/// Messages one queue may hold (8 bytes each while waiting: at most 80 MB).
pub const MAX_QUEUE_CAPACITY: u64 = 10_000_000;
/// Requests alive at once in one simulation. Beyond it a new request ends at
/// once with cause `overflow` (counted like any failure), so a design flooded
/// far past its capacity with unbounded queues cannot run the machine (or the
/// browser tab) out of memory. A request costs about 400 bytes while alive (its
/// arena slot with eight path frames, about 250 bytes, plus its events, queue places,
/// deadline entry and, one in eight, trace marks): half a million is about
/// 200 MB at the very worst, the arena alone about 120 MB. Real designs stay
/// far below: 100,000 requests/s (the largest lesson) at a 3-second timeout
/// hold 300,000.
pub const MAX_IN_FLIGHT: usize = 500_000;
