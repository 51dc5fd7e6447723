//! Progress reporting: the library calls these hooks, the CLI draws a bar.

/// The long-running stages of building a distance table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the road file (total: bytes or blobs, when known).
    ReadRoads,
    /// Attaching schools to roads (total: schools).
    Snap,
    /// Shortest paths (total: hubs).
    Distances,
    /// Valuing each new hub of a plan (total: new hubs).
    HubWorth,
}

impl Stage {
    /// A label for progress bars (`reading roads`).
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::ReadRoads => "reading roads",
            Stage::Snap => "snapping schools",
            Stage::Distances => "road distances",
            Stage::HubWorth => "valuing hubs",
        }
    }
}

/// Receives progress; every method has an empty default. Called from worker
/// threads, so implementations must be `Sync`.
pub trait Progress: Sync {
    /// A stage starts; `total` is the number of steps when known.
    fn begin(&self, _stage: Stage, _total: Option<u64>) {}
    /// `n` more steps of the current stage are done.
    fn advance(&self, _n: u64) {}
    /// The current stage is over.
    fn end(&self) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}
