//! The network the components live in, as they see it: the node slots (who
//! is up), the wires between them, and the database topology. The kernel
//! owns and changes it; a component only reads it while it decides.

use crate::base::time::Nanos;
use crate::blocks::geo::Region;
use crate::model::kinds::NodeKind;

/// Whether a node is serving.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum Health {
    Up,
    /// Failed: requests reaching it fail with `node_down`.
    Down,
    /// Slowed down: service takes `factor` times longer.
    Degraded {
        factor: f64,
    },
}

/// A node slot of the running simulation. Slots are never reused: a node
/// removed from the diagram keeps its slot (marked `removed`) so requests and
/// responses already under way can still find it.
#[derive(Clone, Debug)]
pub(crate) struct NodeInfo {
    pub id: String,
    pub kind: NodeKind,
    pub removed: bool,
    pub health: Health,
}

impl NodeInfo {
    pub fn serving(&self) -> bool {
        !self.removed && self.health != Health::Down
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Wire {
    pub from: u16,
    pub to: u16,
    pub latency: Nanos,
    /// Unlinked in the diagram; kept so requests already on it can finish.
    pub removed: bool,
    /// Requests sent down this wire since the start (for flow display).
    pub sent: u64,
}

/// The network: node slots, wires, and who replicates whom. The kernel
/// changes it (faults, edits, rewiring); components read it while they decide.
#[derive(Debug)]
pub(crate) struct Network {
    pub nodes: Vec<NodeInfo>,
    pub wires: Vec<Wire>,
    /// For each database slot that is a read replica, its primary's slot.
    pub primary_of: Vec<Option<u16>>,
    /// For each primary, its replicas' slots (from `primary_of`).
    pub replicas_of: Vec<Vec<u16>>,
    /// The region of each slot's data center (`None`: not in one).
    pub slot_region: Vec<Option<Region>>,
}

impl Network {
    /// The node at the far end of wire `link`.
    #[inline]
    pub fn end(&self, link: u16) -> usize {
        self.wires[link as usize].to as usize
    }

    /// Whether the node at the far end of wire `link` is serving.
    #[inline]
    pub fn end_serving(&self, link: u16) -> bool {
        self.nodes[self.end(link)].serving()
    }
}
