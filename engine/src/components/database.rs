//! A database's replication: a primary ships each write to its replicas,
//! which apply it after their lag (plus the distance between regions); a
//! read at a replica of a key whose write is still on its way is stale. A
//! NoSQL store serves like a database without replicas.

use crate::base::time::{ms_to_ns, Nanos};
use crate::blocks::request::Kind;
use crate::components::station::{Role, Station};
use crate::components::{Component, Work};

/// A database's replication settings and, as a replica, the primary's writes
/// it has not applied yet.
#[derive(Debug, Default)]
pub struct DbState {
    /// As a replica: how far behind the primary it runs.
    pub lag: Nanos,
    /// As a primary: time from its failure to a replica's promotion.
    pub failover: Nanos,
    pub log: crate::blocks::replication::ReplicationLog,
    /// As a replica, when its primary failed: the acknowledged writes it had
    /// not received. They are lost if this replica is promoted.
    pub missed_at_failure: u64,
}

/// Pending writes one replica may track (about 60 bytes each: 12 MB); beyond
/// it the oldest are summarised (see `ReplicationLog`).
const MAX_PENDING_WRITES: usize = 200_000;

impl DbState {
    pub fn new(spec: &crate::model::scenario::DatabaseSpec) -> DbState {
        DbState {
            lag: ms_to_ns(spec.replication_lag_ms),
            failover: crate::base::time::secs_to_ns(spec.failover_s),
            log: crate::blocks::replication::ReplicationLog::with_max_pending(MAX_PENDING_WRITES)
                .unwrap_or_else(|_| crate::blocks::replication::ReplicationLog::new()),
            missed_at_failure: 0,
        }
    }

    /// New replication settings; the writes on their way keep their lag.
    pub fn retune(&mut self, spec: &crate::model::scenario::DatabaseSpec) {
        self.lag = ms_to_ns(spec.replication_lag_ms);
        self.failover = crate::base::time::secs_to_ns(spec.failover_s);
    }
}

fn db(components: &[Component], slot: usize) -> Option<&DbState> {
    match &components[slot] {
        Component::Station(Station { role: Role::Database(db), .. }) => Some(db),
        _ => None,
    }
}

fn db_mut(components: &mut [Component], slot: usize) -> Option<&mut DbState> {
    match &mut components[slot] {
        Component::Station(Station { role: Role::Database(db), .. }) => Some(db),
        _ => None,
    }
}

/// Replication at database `w.node` after it served `w.req`: a primary's
/// write is shipped to each replica (arriving its lag later); a replica's
/// read of a key with a write still on its way is a stale read.
pub(crate) fn replicate(w: &mut Work) {
    if w.req.session_call {
        return;
    }
    let (node, now, kind) = (w.node, w.now, w.req.kind);
    let net = w.net;
    let is_replica = net.primary_of[node].is_some();
    if kind == Kind::Write && !is_replica && !net.replicas_of[node].is_empty() && w.req.failure.is_none() {
        let key = w.key();
        for &r in &net.replicas_of[node] {
            let r = r as usize;
            // A replica in another region also waits for the write to cross.
            let distance = match (net.slot_region[node], net.slot_region[r]) {
                (Some(a), Some(b)) if a != b => ms_to_ns(crate::blocks::geo::one_way_ms(a, b)),
                _ => 0,
            };
            if let Some(db) = db_mut(w.components, r) {
                let lag = db.lag + distance;
                db.log.record_write(key, now, lag);
            }
        }
    } else if kind == Kind::Read && is_replica {
        let key = w.key();
        if let Some(db) = db_mut(w.components, node) {
            db.log.advance(now);
            if db.log.is_stale(key, now) {
                w.stats[node].counters.stale_reads += 1;
            }
        }
    }
}

/// Primary `node` failed: each of its `replicas` notes the writes it never
/// received (lost if it is promoted). Returns the failover time, after which
/// a replica is promoted.
pub(crate) fn primary_failed(components: &mut [Component], node: usize, replicas: &[u16], now: Nanos) -> Nanos {
    for &r in replicas {
        if let Some(db) = db_mut(components, r as usize) {
            db.missed_at_failure = db.log.fail_primary(now);
        }
    }
    db_mut(components, node).map_or(0, |db| db.failover)
}

/// The acknowledged writes replica `slot` had not received when its primary
/// failed.
pub(crate) fn missed_at_failure(components: &[Component], slot: usize) -> u64 {
    db(components, slot).map_or(0, |db| db.missed_at_failure)
}

/// How far replica `slot` is behind its primary at `now` (the age of the
/// oldest write it has not applied).
pub(crate) fn lag(components: &[Component], slot: usize, now: Nanos) -> Option<Nanos> {
    db(components, slot).map(|db| db.log.current_lag(now))
}
