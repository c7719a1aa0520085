//! Forward-mode AD (`torch.autograd.forward_ad`). Inside the one dual level
//! a tensor may carry a tangent; every recorded op gives its result the
//! Jacobian-vector product of its inputs' tangents, in grad mode or not.
//!
//! The product comes from the op's backward rule, not from a second table
//! of formulas: a rule maps a cotangent `u` to `J^T u`, linearly, in
//! differentiable ops. So `J t = d/du <J^T u, t>`: the rule runs on a zero
//! cotangent that requires grad, and one backward pass through the rule's
//! own small graph gives the product. One formula per op keeps one place to
//! be wrong; the price is a few extra ops per op under forward AD.
//!
//! An op whose product cannot be computed (no derivative, a rule without a
//! differentiable backward) does not fail the forward computation: its
//! result carries the error as its tangent, and reading that tangent (or a
//! tangent computed from it) raises it. A tangent is never silently dropped.

use crate::autograd::Inputs;
use crate::error::{Error, Result};
use crate::grad_mode::{is_grad_enabled, GradModeGuard};
use crate::grad_rules::Rule;
use crate::graph::NodeId;
use crate::tensor::{Tensor, TensorInner};
use parking_lot::Mutex;
use std::cell::Cell;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Weak;

/// The current dual level: -1 outside, 0 inside (PyTorch supports one).
static LEVEL: AtomicI64 = AtomicI64::new(-1);

/// The tensors given a tangent in the current level, cleared on exit (so
/// tangents are freed with the level, as PyTorch's are).
static CARRIERS: Mutex<Vec<Weak<TensorInner>>> = Mutex::new(Vec::new());

thread_local! {
    /// Off while a tangent is computed (its rule's ops must not propagate
    /// tangents again) and in a custom Function's forward (PyTorch runs it
    /// with forward grad off and calls the Function's `jvp` instead).
    static ENABLED: Cell<bool> = const { Cell::new(true) };
    /// A rule is being transposed on this thread (`product`).
    static TRANSPOSING: Cell<bool> = const { Cell::new(false) };
}

/// Whether a rule is being transposed on this thread: a fused op's rule
/// that recomputes its result to differentiate it must then differentiate
/// every float input, not only those that require grad.
pub fn transposing() -> bool {
    TRANSPOSING.with(Cell::get)
}

struct TransposingGuard(bool);
impl TransposingGuard {
    fn new() -> TransposingGuard {
        TransposingGuard(TRANSPOSING.with(|t| t.replace(true)))
    }
}
impl Drop for TransposingGuard {
    fn drop(&mut self) {
        TRANSPOSING.with(|t| t.set(self.0));
    }
}

/// A tensor's tangent, or why its op could not compute one.
#[derive(Clone)]
pub enum Tangent {
    Value(Tensor),
    Failed(std::sync::Arc<str>),
}

pub fn enter_level() -> Result<i64> {
    if LEVEL
        .compare_exchange(-1, 0, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(Error::Runtime(
            "Nested forward mode AD is not supported at the moment".into(),
        ));
    }
    Ok(0)
}

pub fn exit_level(level: i64) -> Result<()> {
    if level != LEVEL.load(Ordering::SeqCst) || level < 0 {
        return Err(Error::Runtime(
            "Trying to exit a forward AD level that was not the last one that was created. This is not supported.".into(),
        ));
    }
    // dropped after the lock: a tangent may hold the last reference to a graph
    let carriers = std::mem::take(&mut *CARRIERS.lock());
    let mut dropped = Vec::with_capacity(carriers.len());
    for t in carriers.iter().filter_map(Weak::upgrade) {
        dropped.push(t.meta.lock().tangent.take());
    }
    LEVEL.store(-1, Ordering::SeqCst);
    drop(dropped);
    Ok(())
}

pub fn current_level() -> i64 {
    LEVEL.load(Ordering::Relaxed)
}

/// Tangents propagate on this thread now.
pub fn active() -> bool {
    LEVEL.load(Ordering::Relaxed) >= 0 && ENABLED.with(Cell::get)
}

/// Sets whether tangents propagate on this thread; returns the previous setting.
pub fn set_enabled(on: bool) -> bool {
    ENABLED.with(|e| e.replace(on))
}

pub fn enabled() -> bool {
    ENABLED.with(Cell::get)
}

/// Turns propagation off on this thread until dropped.
pub struct DisabledGuard(bool);
impl DisabledGuard {
    pub fn new() -> DisabledGuard {
        DisabledGuard(ENABLED.with(|e| e.replace(false)))
    }
}
impl Default for DisabledGuard {
    fn default() -> Self {
        Self::new()
    }
}
impl Drop for DisabledGuard {
    fn drop(&mut self) {
        ENABLED.with(|e| e.set(self.0));
    }
}

pub fn tangent_of(t: &Tensor) -> Option<Tangent> {
    if LEVEL.load(Ordering::Relaxed) < 0 {
        return None;
    }
    t.0.meta.lock().tangent.clone()
}

pub fn set_tangent(t: &Tensor, tangent: Option<Tangent>) {
    if LEVEL.load(Ordering::Relaxed) < 0 {
        return;
    }
    let had = {
        let mut m = t.0.meta.lock();
        let had = m.tangent.is_some();
        m.tangent = tangent;
        had || m.tangent.is_none()
    };
    if !had {
        let mut carriers = CARRIERS.lock();
        // prune the dead entries whenever the list doubles
        if carriers.len() >= 1024 && carriers.len().is_power_of_two() {
            carriers.retain(|w| w.strong_count() > 0);
        }
        carriers.push(std::sync::Arc::downgrade(&t.0));
    }
}

/// `to` gets `from`'s tangent (an op that made its result by detaching an
/// inner result it computed).
pub fn carry(from: &Tensor, to: &Tensor) {
    if active() {
        if let Some(t) = tangent_of(from) {
            set_tangent(to, Some(t));
        }
    }
}

/// After `target` was overwritten in place with `result`'s values: it takes
/// `result`'s tangent (in its own shape and dtype). A base that carries a
/// tangent of its own and is written through this view gets an error as
/// its tangent: it would be stale, and it is not rewritten here.
pub fn after_inplace(target: &Tensor, result: &Tensor) -> Result<()> {
    if !active() {
        return Ok(());
    }
    let new = tangent_of(result);
    if new.is_none() && tangent_of(target).is_none() {
        return Ok(());
    }
    let new = match new {
        Some(Tangent::Value(v)) => {
            let (shape, dtype) = (target.shape(), target.dtype());
            let v = if v.shape() != shape {
                v.expand(&shape)?.contiguous()?
            } else {
                v
            };
            Some(Tangent::Value(if v.dtype() != dtype {
                v.to_dtype(dtype)?
            } else {
                v
            }))
        }
        other => other,
    };
    set_tangent(target, new);
    let base = target.0.meta.lock().view_base.clone();
    if let Some(base) = base.filter(|b| tangent_of(b).is_some()) {
        set_tangent(
            &base,
            Some(Tangent::Failed(
                "forward AD: this tensor was written in place through a view, and its tangent was not updated (not supported)".into(),
            )),
        );
    }
    Ok(())
}

/// Whether an op on `inputs` must give its result a tangent.
pub fn any_tangent(inputs: &[&Tensor]) -> bool {
    active() && inputs.iter().any(|t| t.0.meta.lock().tangent.is_some())
}

/// The inputs' tangents when an op on them must propagate (None otherwise).
pub fn input_tangents(inputs: &[&Tensor]) -> Option<Vec<Option<Tangent>>> {
    if !any_tangent(inputs) {
        return None;
    }
    Some(inputs.iter().map(|t| tangent_of(t)).collect())
}

/// Gives `out` (the result of the op `name` on `inputs`, differentiated by
/// `rule`) the Jacobian-vector product of the inputs' tangents.
pub fn propagate(
    out: &Tensor,
    name: &str,
    inputs: &[&Tensor],
    rule: &Rule,
    tangents: Vec<Option<Tangent>>,
) {
    let mut values = Vec::with_capacity(tangents.len());
    for t in tangents {
        match t {
            Some(Tangent::Failed(why)) => {
                set_tangent(out, Some(Tangent::Failed(why)));
                return;
            }
            Some(Tangent::Value(v)) => values.push(Some(v)),
            None => values.push(None),
        }
    }
    let tangent = match product(out, name, inputs, rule, &values) {
        Ok(t) => Tangent::Value(t),
        Err(e) => Tangent::Failed(format!("forward AD through {name}: {e}").into()),
    };
    set_tangent(out, Some(tangent));
}

/// `J t` for the op's rule, as `d/du <J^T u, t>` (see the module comment).
fn product(
    out: &Tensor,
    name: &str,
    inputs: &[&Tensor],
    rule: &Rule,
    tangents: &[Option<Tensor>],
) -> Result<Tensor> {
    // the tangent stays differentiable (for reverse-over-forward) in grad
    // mode, where an input or a tangent requires grad
    let create_graph = is_grad_enabled()
        && (inputs.iter().any(|t| t.requires_grad())
            || tangents.iter().flatten().any(|t| t.requires_grad()));
    let _off = DisabledGuard::new();
    let _transposing = TransposingGuard::new();
    let _grad = GradModeGuard::new(true);
    let zeros = || Tensor::zeros_on(&out.shape(), out.dtype(), out.device());
    // a backward kernel that refuses its operands does not make the
    // forward one wrong: the tangent passes as through an identity
    let rule = if matches!(rule, Rule::Refused(_)) {
        &Rule::Identity
    } else {
        rule
    };
    if matches!(rule, Rule::NotImplemented(_)) {
        // the rule raises for any cotangent: say so for the tangent too
        crate::grad_rules::apply(rule, name, &zeros()?, &[], NO_NODE)?;
    }
    if !out.dtype().is_float() {
        return zeros();
    }
    // the cotangent's value does not matter (the rule is linear in it): ones,
    // so a rule whose result is no function of it shows as nonzero below
    let u = Tensor::full_on(&out.shape(), 1.0, out.dtype(), out.device())?;
    u.set_requires_grad(true)?;
    let needs: Vec<bool> = tangents.iter().map(Option::is_some).collect();
    let cotangents = crate::grad_rules::apply(rule, name, &u, &needs, NO_NODE)?;
    let mut dot: Option<Tensor> = None;
    for (i, (g, t)) in cotangents.into_iter().zip(tangents).enumerate() {
        let (Some(g), Some(t)) = (g, t) else { continue };
        if !g.requires_grad() {
            // no function of the cotangent: zero for a constant-zero rule;
            // anything else is a backward computed outside the graph (on
            // the host), whose product cannot be taken this way
            if g.square()?.sum_all()?.item_f64()? != 0.0 {
                return Err(Error::Runtime(format!(
                    "the backward of {name} is not differentiable, so its Jacobian-vector product cannot be formed"
                )));
            }
            continue;
        }
        let g = crate::autograd::input_gradient(name, i, g, &inputs[i].shape())?;
        let term = g.mul(&t.to_dtype(g.dtype())?)?.sum_all()?;
        dot = Some(match dot {
            None => term,
            Some(d) => d.add(&term)?,
        });
    }
    let Some(dot) = dot else { return zeros() };
    let seed = Tensor::full_on(&[], 1.0, dot.dtype(), dot.device())?;
    let got = crate::autograd::backward(
        &[dot],
        &[seed],
        false,
        create_graph,
        std::slice::from_ref(&u),
        Inputs::Capture,
        true,
    )?;
    let tangent = match got.into_iter().next().flatten() {
        Some(t) => t,
        None => zeros()?,
    };
    if create_graph {
        linked_to_inputs(tangent, inputs)
    } else {
        Ok(tangent)
    }
}

/// A tangent computed in grad mode from inputs that require grad is a
/// function of them in PyTorch (its formulas read the primals, with zeros
/// for absent tangents), even where the product does not depend on them
/// (a linear map's tangent in its weight): such a tangent is linked to
/// those inputs with a zero derivative, so it requires grad as PyTorch's does.
pub fn linked_to_inputs(tangent: Tensor, inputs: &[&Tensor]) -> Result<Tensor> {
    if tangent.requires_grad() || !is_grad_enabled() {
        return Ok(tangent);
    }
    let links: Vec<&Tensor> = inputs
        .iter()
        .copied()
        .filter(|t| t.requires_grad())
        .collect();
    crate::grad_rules::zero_link(tangent, &links, "ForwardGradLinkBackward")
}

/// No node: the rule runs outside the graph (a saved tensor's checks name
/// no node).
const NO_NODE: NodeId = NodeId {
    index: u32::MAX,
    generation: u32::MAX,
};
