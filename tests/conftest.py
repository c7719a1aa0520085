import numpy as np
import pytest

import autorust


@pytest.fixture(autouse=True)
def _seed_and_grad_mode():
    autorust.manual_seed(0)
    np.random.seed(0)
    autorust.set_grad_enabled(True)
    yield
    autorust.set_grad_enabled(True)
