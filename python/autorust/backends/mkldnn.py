"""MKL-DNN switch: recorded, no effect (autorust does not use MKL-DNN)."""

enabled = True


def is_available():
    return False
