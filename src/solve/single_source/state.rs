//! Single-source capacitated assignment state: who serves whom, with loads,
//! client counts and budget use kept up to date, and a log of the clients
//! whose assignment changed (so a search can revisit only what a move
//! touched). The construction lives in [`super::construction`], the moves of
//! the local search in [`super::moves`].

use crate::solve::context::CapContext;

/// No facility: the client is unserved.
pub const NONE: u32 = u32::MAX;

#[derive(Clone, Debug)]
pub struct SingleSourceState {
    pub open: Vec<bool>,
    pub assign: Vec<u32>,
    pub load: Vec<f64>,
    pub count: Vec<u32>,
    /// Budget used: charges of open facilities plus charges of served clients.
    pub spent: f64,
    pub open_count: usize,
    pub group_open: Vec<usize>,
    /// Clients of each facility, and the unserved ones (position of each client in its list).
    pub(super) members: Vec<Vec<u32>>,
    pub(super) unserved: Vec<u32>,
    pos: Vec<u32>,
    /// Clients whose assignment changed since the log was last taken.
    pub(super) touched: Vec<u32>,
}

/// Slack for floating comparisons of loads and budgets.
pub(super) const FIT: f64 = 1e-9;

/// Whether `load` fits under `cap` (with the slack for floating comparisons).
#[inline]
pub(super) fn within(load: f64, cap: f64) -> bool {
    load <= cap * (1.0 + FIT) + FIT
}

impl SingleSourceState {
    /// All clients unserved, `open` open (fixed facilities are added).
    pub fn new(ctx: &CapContext, open: &[bool]) -> SingleSourceState {
        let (n, m) = (ctx.n_clients(), ctx.n_facilities());
        let mut s = SingleSourceState {
            open: vec![false; m],
            assign: vec![NONE; n],
            load: vec![0.0; m],
            count: vec![0; m],
            spent: 0.0,
            open_count: 0,
            group_open: vec![0; ctx.rules.group_min.len()],
            members: vec![Vec::new(); m],
            unserved: (0..n as u32).collect(),
            pos: (0..n as u32).collect(),
            touched: Vec::new(),
        };
        for f in 0..m {
            if open[f] || ctx.rules.fixed[f] {
                s.set_open(ctx, f, true);
            }
        }
        s
    }

    /// Opens or closes `f` (its clients must already have left when closing).
    pub fn set_open(&mut self, ctx: &CapContext, f: usize, open: bool) {
        if self.open[f] == open {
            return;
        }
        debug_assert!(open || self.count[f] == 0);
        self.open[f] = open;
        let sign = if open { 1.0 } else { -1.0 };
        self.spent += sign * ctx.charge[f];
        if open {
            self.open_count += 1;
        } else {
            self.open_count -= 1;
        }
        let g = ctx.rules.group_of[f];
        if g != crate::solve::select::NO_GROUP {
            if open {
                self.group_open[g as usize] += 1;
            } else {
                self.group_open[g as usize] -= 1;
            }
        }
    }

    /// What client `u` costs now.
    #[inline]
    pub fn client_cost(&self, ctx: &CapContext, u: usize) -> f64 {
        match self.assign[u] {
            NONE => ctx.unserved[u],
            f => ctx.cost(u, f as usize),
        }
    }

    /// The objective: opening costs, service costs and unserved costs.
    pub fn objective(&self, ctx: &CapContext) -> f64 {
        let open: f64 = (0..self.open.len()).filter(|&f| self.open[f]).map(|f| ctx.open_cost[f]).sum();
        open + (0..self.assign.len()).map(|u| self.client_cost(ctx, u)).sum::<f64>()
    }

    /// Number of clients unserved although they must be served.
    pub fn stranded(&self, ctx: &CapContext) -> usize {
        if ctx.must_serve { self.unserved.len() } else { 0 }
    }

    /// The unserved clients now.
    pub fn unserved_clients(&self) -> &[u32] {
        &self.unserved
    }

    /// Takes the log of clients whose assignment changed.
    pub fn take_touched(&mut self) -> Vec<u32> {
        std::mem::take(&mut self.touched)
    }

    /// Whether `u` (not at `f` now) would fit at open facility `f`.
    #[inline]
    pub fn fits(&self, ctx: &CapContext, u: usize, f: usize) -> bool {
        self.open[f]
            && within(self.load[f] + ctx.demand[u], ctx.capacity[f])
            && self.count[f] < ctx.max_clients[f]
            && (self.assign[u] != NONE || within(self.spent + ctx.client_charge[u], ctx.budget))
    }

    fn list_of(&mut self, a: u32) -> &mut Vec<u32> {
        if a == NONE { &mut self.unserved } else { &mut self.members[a as usize] }
    }

    /// Moves `u` to `to` (`None`: unserved), updating loads, lists and budget use.
    pub fn set(&mut self, ctx: &CapContext, u: usize, to: Option<usize>) {
        let from = self.assign[u];
        let target = to.map_or(NONE, |g| g as u32);
        if from == target {
            return;
        }
        // Out of the old list.
        let p = self.pos[u] as usize;
        let list = self.list_of(from);
        list.swap_remove(p);
        if p < list.len() {
            let moved = list[p] as usize;
            self.pos[moved] = p as u32;
        }
        if from != NONE {
            let f = from as usize;
            self.load[f] -= ctx.demand[u];
            self.count[f] -= 1;
        } else {
            self.spent += ctx.client_charge[u];
        }
        if target != NONE {
            let g = target as usize;
            self.load[g] += ctx.demand[u];
            self.count[g] += 1;
        } else {
            self.spent -= ctx.client_charge[u];
        }
        self.assign[u] = target;
        let list = self.list_of(target);
        list.push(u as u32);
        self.pos[u] = (list.len() - 1) as u32;
        self.touched.push(u as u32);
    }
}
