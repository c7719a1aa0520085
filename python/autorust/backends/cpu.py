"""The CPU's vector capability, as PyTorch names it."""


def get_cpu_capability():
    import platform

    return "DEFAULT" if platform.machine() not in ("x86_64", "AMD64") else "AVX2"
