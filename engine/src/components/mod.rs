//! One module per component kind: its run-time state and the decisions it makes.
//! The simulation loop (`crate::kernel::sim`) moves requests between them.

pub mod balancer;
pub mod dns;
pub mod queue;
pub mod shard_router;
pub mod station;
pub mod users;
