# The README's two commands are `make demo` and `make test`. Both create a
# virtual environment in .venv, install the Python tools into it and build
# the extension in release mode with maturin.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: demo test build bench bench-ops venv parity-record

# The interpreter of an environment with PyTorch installed (never this
# project's .venv, never CI): it records the parity gold.
TORCH_PYTHON ?= python3

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "maturin>=1.9.4,<2" "numpy>=1.22" "pytest>=7" "wgpu==0.32.0" "ruff==0.17.6"
	touch $@

venv: $(VENV)/.installed

build: venv
	. $(VENV)/bin/activate && maturin develop --release -q

demo: build
	$(PY) -m autorust.demo

# The house tools first: rustfmt and clippy (warnings are errors) hold the
# Rust sources to one style and no lint, ruff the Python ones (its settings
# in pyproject.toml; ruff is pinned, so its formatting does not drift).
test: build
	cargo fmt --check
	cargo clippy --quiet --all-targets --all-features -- -D warnings
	$(VENV)/bin/ruff check python tests benchmarks examples
	$(VENV)/bin/ruff format --check python tests benchmarks examples
	cargo test --quiet
	$(PY) -m pytest -q

bench: build
	$(PY) benchmarks/run.py

# forward+backward of every op beside PyTorch (run where torch is installed)
bench-ops: build
	$(PY) benchmarks/ops.py

# Re-records the parity gold (tests/parity/gold) under real PyTorch:
#   make parity-record TORCH_PYTHON=/path/to/torch-venv/bin/python
parity-record:
	$(TORCH_PYTHON) -m tests.parity.record
