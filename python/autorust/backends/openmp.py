"""OpenMP: autorust's CPU kernels run on rayon, not OpenMP."""


def is_available():
    return False
