//! The arena of autograd nodes. A node lives in a slot addressed by
//! `NodeId {index, generation}`; a stale id is detected instead of read.
//! Nodes are reference counted by the tensors whose `grad_fn` they are and by
//! the nodes that consume them; a count reaching zero frees the slot, and the
//! cascade of frees it starts runs iteratively, so a million-op chain is freed
//! without deep recursion.
//!
//! The crate's one module loop runs through here, and it is inherent: a
//! node (`graph`) holds its gradient rule (`grad_rules::Rule`) and the
//! tensors it saved (`saved`); a rule computes with tensor ops (`tensor`),
//! which record new nodes here. The modules that take part are the autograd
//! core: `tensor`, `graph`, `grad_rules`, `saved` (+ `saved_hooks`),
//! `node_hooks`, `autograd` (the scheduler), `composite` and `forward_ad`
//! (nodes whose rule replays tensor ops). Everything else is layered below
//! it and imports none of them: `dtype`, `shape`, `layout`, `error`,
//! `grad_mode`, `op`, `activation` (declarations), `backend` (kernels),
//! `storage`, `random`.

use crate::dtype::DType;
use crate::grad_rules::Rule;
use crate::node_hooks::NodeHooks;
use crate::shape::Shape;
use crate::tensor::{Tensor, TensorInner};
use parking_lot::Mutex;
use std::cell::{Cell, RefCell};
use std::sync::{Arc, Weak};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NodeId {
    pub index: u32,
    pub generation: u32,
}

/// Where a node's output gradient flows next: the producer of one input,
/// with that input's dtype and (when it differs from the output's) shape, so
/// the scheduler can undo broadcasting and casting in one place.
#[derive(Clone)]
pub struct Edge {
    pub node: NodeId,
    pub shape: Option<Shape>,
    pub dtype: DType,
}

/// A user hook on a tensor's gradient: may return a replacement gradient.
pub type GradHook = Arc<dyn Fn(&Tensor) -> crate::error::Result<Option<Tensor>> + Send + Sync>;

/// A user hook called with a leaf after its gradient was accumulated.
pub type PostAccumulateHook = Arc<dyn Fn(&Tensor) -> crate::error::Result<()> + Send + Sync>;

/// Ids for hook handles (`RemovableHandle.remove()`), unique per process.
pub fn next_hook_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// Most ops have one or two differentiable inputs: no heap allocation for those.
pub type Edges = smallvec::SmallVec<[Option<Edge>; 2]>;

pub struct Node {
    pub seq: u64,
    pub name: &'static str,
    pub rule: Rule,
    /// One per differentiable input; `None` for inputs that need no grad.
    pub edges: Edges,
    /// Saved tensors were freed by a backward without `retain_graph`.
    pub released: bool,
    /// The non-leaf tensor that asked for `retain_grad()`.
    pub retain: Option<Weak<TensorInner>>,
    pub hooks: Vec<(u64, GradHook)>,
    /// `grad_fn.register_prehook` / `register_hook` hooks (boxed: most nodes have none).
    pub node_hooks: Option<Box<NodeHooks>>,
    /// State the bindings keep on the node (the `grad_fn.metadata` dict),
    /// opaque to the core; freed with the node.
    pub binding_state: Option<Arc<dyn std::any::Any + Send + Sync>>,
    /// Where the op was called from (an interned Python file:line), for
    /// backward errors that name the forward line; 0 = not recorded yet.
    pub origin: u32,
    /// Inputs PyTorch does not count as differentiable (bool and integer
    /// tensors: a condition, an index), one bit per input: they keep their
    /// place in `edges` for the rule but are not shown in `next_functions`.
    pub hidden_inputs: u32,
    /// Which output of PyTorch's multi-output op this node stands for
    /// (piece `i` of a split, the max of aminmax): the number edges to it show.
    pub output_nr: u32,
    /// An output of a multi-output op made as a view of one packed result
    /// (the LSTM layer's output, h_n and c_n): Python is shown the node
    /// its one edge leads to (the op's node), as output `output_nr`.
    pub shows_producer: bool,
    /// PyTorch's node for this op saves no tensors (the Scalar overloads
    /// such as `MulBackward1`, whose number is no tensor), though the rule
    /// here holds the number as one: a second backward through it works.
    pub saves_nothing: bool,
}

impl Node {
    /// Whether the node holds tensors that a backward without
    /// `retain_graph` frees, as PyTorch's node would.
    pub fn saves_tensors(&self) -> bool {
        !self.saves_nothing && self.rule.has_saved()
    }
}

struct Slot {
    generation: u32,
    refcount: u32,
    node: Option<Node>,
    /// Scratch for the scheduler: position in the current backward's order.
    pub scratch: u32,
    pub mark: u64,
}

pub struct Arena {
    slots: Vec<Slot>,
    free: Vec<u32>,
    next_seq: u64,
    live: usize,
    epoch: u64,
}

pub static ARENA: Mutex<Arena> = Mutex::new(Arena {
    slots: Vec::new(),
    free: Vec::new(),
    next_seq: 0,
    live: 0,
    epoch: 0,
});

impl Arena {
    fn slot(&self, id: NodeId) -> Option<&Slot> {
        self.slots
            .get(id.index as usize)
            .filter(|s| s.generation == id.generation && s.node.is_some())
    }
    fn slot_mut(&mut self, id: NodeId) -> Option<&mut Slot> {
        self.slots
            .get_mut(id.index as usize)
            .filter(|s| s.generation == id.generation && s.node.is_some())
    }
    pub fn get(&self, id: NodeId) -> Option<&Node> {
        self.slot(id).and_then(|s| s.node.as_ref())
    }
    pub fn get_mut(&mut self, id: NodeId) -> Option<&mut Node> {
        self.slot_mut(id).and_then(|s| s.node.as_mut())
    }
    pub fn live(&self) -> usize {
        self.live
    }
    pub fn new_epoch(&mut self) -> u64 {
        self.epoch += 1;
        self.epoch
    }
    /// Marks `id` visited in `epoch`; returns false if it already was.
    pub fn visit(&mut self, id: NodeId, epoch: u64) -> bool {
        match self.slot_mut(id) {
            Some(s) if s.mark != epoch => {
                s.mark = epoch;
                true
            }
            _ => false,
        }
    }
    pub fn set_scratch(&mut self, id: NodeId, v: u32) {
        if let Some(s) = self.slot_mut(id) {
            s.scratch = v;
        }
    }
    pub fn scratch(&self, id: NodeId) -> Option<u32> {
        self.slot(id).map(|s| s.scratch)
    }
    pub fn mark(&self, id: NodeId) -> u64 {
        self.slot(id).map(|s| s.mark).unwrap_or(0)
    }
    fn insert(&mut self, node: Node) -> NodeId {
        self.live += 1;
        if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            s.node = Some(node);
            s.refcount = 1;
            return NodeId {
                index: i,
                generation: s.generation,
            };
        }
        self.slots.push(Slot {
            generation: 0,
            refcount: 1,
            node: Some(node),
            scratch: 0,
            mark: 0,
        });
        NodeId {
            index: (self.slots.len() - 1) as u32,
            generation: 0,
        }
    }
    fn incref(&mut self, id: NodeId) -> bool {
        match self.slot_mut(id) {
            Some(s) => {
                s.refcount += 1;
                true
            }
            None => false,
        }
    }
    /// Drops one count; returns the node if it was the last.
    fn decref(&mut self, id: NodeId) -> Option<Node> {
        let s = self.slot_mut(id)?;
        s.refcount -= 1;
        if s.refcount > 0 {
            return None;
        }
        s.generation = s.generation.wrapping_add(1);
        let node = s.node.take();
        self.free.push(id.index);
        self.live -= 1;
        node
    }
    /// The seq the next node will get.
    pub fn peek_seq(&self) -> u64 {
        self.next_seq + 1
    }
    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

/// A counted reference to a node: what `grad_fn` holds.
pub struct NodeRef(NodeId);

impl NodeRef {
    /// Creates a node whose edges already hold counts on their targets.
    pub fn create(name: &'static str, rule: Rule, edges: Edges) -> NodeRef {
        let mut a = ARENA.lock();
        let seq = a.next_seq();
        NodeRef(a.insert(Node {
            seq,
            name,
            rule,
            edges,
            released: false,
            retain: None,
            hooks: Vec::new(),
            node_hooks: None,
            binding_state: None,
            origin: 0,
            hidden_inputs: 0,
            output_nr: 0,
            shows_producer: false,
            saves_nothing: false,
        }))
    }
    /// A new count on a live node (None if it was freed meanwhile).
    pub fn from_id(id: NodeId) -> Option<NodeRef> {
        if ARENA.lock().incref(id) {
            Some(NodeRef(id))
        } else {
            None
        }
    }
    /// Wraps a count the caller already owns (taken by `Tensor::edge_for`).
    pub(crate) fn adopt(id: NodeId) -> NodeRef {
        NodeRef(id)
    }
    pub fn id(&self) -> NodeId {
        self.0
    }
    /// Gives up this handle's count to the caller (it now owns it, e.g. in an Edge).
    pub fn into_id(self) -> NodeId {
        let id = self.0;
        std::mem::forget(self);
        id
    }
}

impl Clone for NodeRef {
    fn clone(&self) -> NodeRef {
        ARENA.lock().incref(self.0);
        NodeRef(self.0)
    }
}

thread_local! {
    static FREEING: Cell<bool> = const { Cell::new(false) };
    static PENDING: RefCell<Vec<NodeId>> = const { RefCell::new(Vec::new()) };
}

/// Releases one count on `id`, freeing whatever becomes unreachable. Nodes are
/// dropped outside the arena lock, because dropping their saved tensors
/// releases further counts; those are queued rather than recursed into.
pub fn release(id: NodeId) {
    if FREEING.with(|f| f.get()) {
        PENDING.with(|p| p.borrow_mut().push(id));
        return;
    }
    FREEING.with(|f| f.set(true));
    let mut work = vec![id];
    while let Some(id) = work.pop() {
        let freed = ARENA.lock().decref(id);
        if let Some(mut node) = freed {
            for e in node.edges.drain(..).flatten() {
                work.push(e.node);
            }
            drop(node);
            PENDING.with(|p| work.append(&mut p.borrow_mut()));
        }
    }
    FREEING.with(|f| f.set(false));
}

impl Drop for NodeRef {
    fn drop(&mut self) {
        release(self.0);
    }
}

/// Number of live nodes (the leak test watches it stay flat).
pub fn live_nodes() -> usize {
    ARENA.lock().live()
}

/// Interns a node name given at run time (autograd.Function class names,
/// composite ops): each distinct name is leaked once, so memory is bounded
/// by the number of distinct names.
pub fn intern(name: &str) -> &'static str {
    use std::collections::HashMap;
    static NAMES: Mutex<Option<HashMap<String, &'static str>>> = Mutex::new(None);
    let mut g = NAMES.lock();
    let map = g.get_or_insert_with(HashMap::new);
    if let Some(s) = map.get(name) {
        return s;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    map.insert(name.to_string(), leaked);
    leaked
}

/// Gives `t`'s grad_fn node another name (a composite standing for a fused op).
/// The edges of node `id` after the first, each with a new count on its
/// target, and its hidden-input bits shifted alike (a CopySlices node takes
/// over the inputs of the op it wraps, all but the view it wrote).
pub fn edges_after_first(id: NodeId) -> Option<(Vec<Option<Edge>>, u32)> {
    let mut a = ARENA.lock();
    let (edges, hidden) = {
        let n = a.get(id)?;
        (
            n.edges.iter().skip(1).cloned().collect::<Vec<_>>(),
            n.hidden_inputs,
        )
    };
    for e in edges.iter().flatten() {
        a.incref(e.node);
    }
    Some((edges, (hidden >> 1) << 1))
}

/// Adds a hook to node `id` (a pre-hook or a post-hook, as `add` places
/// it); returns its id for `remove_node_hook`, or None when the node was freed.
pub fn add_node_hook(id: NodeId, add: impl FnOnce(&mut NodeHooks, u64)) -> Option<u64> {
    let mut a = ARENA.lock();
    let node = a.get_mut(id)?;
    let hook_id = next_hook_id();
    add(
        node.node_hooks.get_or_insert_with(Default::default),
        hook_id,
    );
    Some(hook_id)
}

/// Takes hook `hook_id` off node `id` (a no-op when either is gone).
pub fn remove_node_hook(id: NodeId, hook_id: u64) {
    let removed = {
        let mut a = ARENA.lock();
        let Some(n) = a.get_mut(id) else { return };
        let Some(h) = &mut n.node_hooks else { return };
        let removed = h.remove(hook_id);
        if h.is_empty() {
            n.node_hooks = None;
        }
        removed
    };
    drop(removed); // outside the lock (see NodeHooks::remove)
}

/// Marks `t`'s grad_fn as output `nr` of a multi-output op (see `Node::output_nr`).
pub fn set_output_nr(t: &crate::tensor::Tensor, nr: u32) {
    if let Some(id) = t.grad_fn_id() {
        if let Some(n) = ARENA.lock().get_mut(id) {
            n.output_nr = nr;
        }
    }
}

/// Marks `t`'s grad_fn (a view of a multi-output op's packed result) as that
/// op's output `nr` (see `Node::shows_producer`).
pub fn show_as_output_of_producer(t: &crate::tensor::Tensor, nr: u32) {
    if let Some(id) = t.grad_fn_id() {
        if let Some(n) = ARENA.lock().get_mut(id) {
            n.output_nr = nr;
            n.shows_producer = true;
        }
    }
}

impl Arena {
    /// The node Python shows for `id`, and the output of it an edge to `id`
    /// carries (see `Node::shows_producer`).
    pub fn shown(&self, id: NodeId) -> (NodeId, u32) {
        match self.get(id) {
            Some(n) if n.shows_producer => match n.edges.first() {
                Some(Some(e)) => (e.node, n.output_nr),
                _ => (id, n.output_nr),
            },
            Some(n) => (id, n.output_nr),
            None => (id, 0),
        }
    }
}

/// Hides inputs of `t`'s grad_fn from `next_functions` (one bit per input):
/// a Python number an op took as a tensor, where PyTorch's overload takes a
/// Scalar that is no input at all.
/// Marks `t`'s node as one whose PyTorch counterpart saves no tensors.
pub fn mark_saves_nothing(t: &crate::tensor::Tensor) {
    if let Some(id) = t.grad_fn_id() {
        if let Some(n) = ARENA.lock().get_mut(id) {
            n.saves_nothing = true;
        }
    }
}

pub fn hide_inputs(t: &crate::tensor::Tensor, bits: u32) {
    if let Some(id) = t.grad_fn_id() {
        if let Some(n) = ARENA.lock().get_mut(id) {
            n.hidden_inputs |= bits;
        }
    }
}

pub fn rename(t: &crate::tensor::Tensor, name: &str) {
    if let Some(id) = t.grad_fn_id() {
        let interned = intern(name);
        if let Some(n) = ARENA.lock().get_mut(id) {
            n.name = interned;
        }
    }
}
