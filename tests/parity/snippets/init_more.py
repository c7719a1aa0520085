"""The initialisers built on draws and factorisations, side by side with
PyTorch: orthogonal_ (wide, tall, flattened, with gain), dirac_ with
groups, sparse_, and their refusals."""

PROGRAMS = {
    "orthogonal_ of a wide matrix": """
T.manual_seed(0)
R = T.nn.init.orthogonal_(T.empty(3, 5))
""",
    "orthogonal_ of a tall flattened tensor with a gain": """
T.manual_seed(1)
R = T.nn.init.orthogonal_(T.empty(6, 2, 3), gain=2.0)
""",
    "dirac_ with groups": """
R = T.nn.init.dirac_(T.empty(4, 2, 3, 3), groups=2)
""",
    "dirac_ of a 1-d convolution with more inputs than outputs": """
R = T.nn.init.dirac_(T.empty(2, 3, 4))
""",
    "sparse_": """
T.manual_seed(2)
R = T.nn.init.sparse_(T.empty(5, 3), 0.4)
""",
    "orthogonal_ refuses a vector": """
T.nn.init.orthogonal_(T.empty(3))
""",
    "dirac_ refuses a matrix": """
T.nn.init.dirac_(T.empty(3, 3))
""",
    "dirac_ refuses groups that do not divide the outputs": """
T.nn.init.dirac_(T.empty(3, 3, 3), groups=2)
""",
}


def programs():
    return [(f"nn init {name}", [code.strip(), "rec(R, repr(R))"]) for name, code in PROGRAMS.items()]
