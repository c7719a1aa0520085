"""Where autorust deliberately differs from PyTorch, with the reason.

A rule names an observed field that may differ and the steps it applies
to. The replay compares every program in full; a difference that a rule
covers is accepted (that field of that observation is then not compared),
and the parity test reports how often each rule applied. A rule that no
program needs any more fails the suite, so the list stays true.
"""

import re


class Difference:
    def __init__(self, name, reason, field, step_pattern):
        self.name = name
        self.reason = reason
        self.field = field
        self.step = re.compile(step_pattern)

    def covers(self, step_code, diff):
        """Whether this rule accepts `diff`, found at an observation of `step_code`."""
        return bool(self.step.search(step_code)) and re.search(rf"\.{self.field}: ", diff) is not None


DIFFERENCES = [
    Difference(
        "double-backward node names",
        "A gradient computed with create_graph=True is recorded by autorust's backward formulas, which are "
        "ordinary tensor ops (MulBackward0, WhereBackward0, ...), where PyTorch records its dedicated backward "
        "kernels (SigmoidBackwardBackward0, ...). Values, requires_grad and every higher-order gradient are "
        "compared and equal; only the names of the nodes inside second-order graphs differ.",
        "grad_fn",
        r"create_graph=True",
    ),
]
