"""Where autorust deliberately differs from PyTorch, with the reason.

A rule names an observed field that may differ and the steps it applies
to. The replay compares every program in full; a difference that a rule
covers is accepted (that field of that observation is then not compared),
and the parity test reports how often each rule applied. A rule that no
program needs any more fails the suite, so the list stays true.
"""

import re


class Difference:
    def __init__(self, name, reason, fields, step_pattern):
        self.name = name
        self.reason = reason
        self.fields = tuple(fields)
        self.step = re.compile(step_pattern)

    def field_in(self, step_code, diff):
        """The field of `diff` (found at an observation of `step_code`) this
        rule accepts, or None."""
        if not self.step.search(step_code):
            return None
        return next((f for f in self.fields if re.search(rf"\.{f}: ", diff)), None)


DIFFERENCES = [
    Difference(
        "double-backward node names",
        "A gradient computed with create_graph=True is recorded by autorust's backward formulas, which are "
        "ordinary tensor ops (MulBackward0, WhereBackward0, ...), where PyTorch records its dedicated backward "
        "kernels (SigmoidBackwardBackward0, ...). Values, requires_grad and every higher-order gradient are "
        "compared and equal; only the names of the nodes inside second-order graphs (and so their edges) differ.",
        ("grad_fn", "next"),
        r"create_graph=True",
    ),
]
