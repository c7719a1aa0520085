"""Where autorust deliberately differs from PyTorch, with the reason.

A rule names an observed field that may differ and the steps it applies
to. The replay compares every program in full; a difference that a rule
covers is accepted (that field of that observation is then not compared),
and the parity test reports how often each rule applied. A rule that no
program needs any more fails the suite, so the list stays true.
"""

import re


class Difference:
    def __init__(self, name, reason, fields, step_pattern, program_pattern=None):
        self.name = name
        self.reason = reason
        self.fields = tuple(fields)
        self.step = re.compile(step_pattern)
        # the rule holds only in programs whose code matches this (all steps, one per line)
        self.program = re.compile(program_pattern, re.S) if program_pattern else None

    def field_in(self, step_code, diff, program_code=""):
        """The field of `diff` (found at an observation of `step_code`, in a
        program whose code is `program_code`) this rule accepts, or None."""
        if not self.step.search(step_code):
            return None
        if self.program is not None and not self.program.search(program_code):
            return None
        return next((f for f in self.fields if re.search(rf"\.{f}: ", diff)), None)


DIFFERENCES = [
    Difference(
        "double-backward node names",
        "A gradient computed with create_graph=True is recorded by autorust's backward formulas, which are "
        "ordinary tensor ops, where PyTorch records its dedicated backward kernels. The gradient itself is shown "
        "as the kernel's node for the common ones (TanhBackwardBackward0, SigmoidBackwardBackward0, the activations', "
        "softmax's, the norms' and the losses'), but the nodes inside second-order graphs, and so the edges, are "
        "autorust's. Values, requires_grad and every higher-order gradient are compared and equal.",
        ("grad_fn", "next"),
        r"create_graph=True",
    ),
    Difference(
        "third derivatives through layer_norm",
        "PyTorch's double backward of layer_norm is a hand-written formula that PyTorch differentiates again "
        "inexactly: for sum(layer_norm(x)), identically 0, it gives a zero first and second derivative but a "
        "non-zero third. autorust differentiates its own formulas exactly at every order (checked against "
        "float64 finite differences in tests/test_graph_parity.py). First and second derivatives are compared "
        "and equal; only the gradients of a third backward through layer_norm differ.",
        ("values",),
        r"\.grad|autograd\.grad",
        r"layer_norm.*create_graph=True.*create_graph=True.*(backward\(\)|autograd\.grad)",
    ),
]
