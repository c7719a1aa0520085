# The README's two commands are `make demo` and `make test`. Both create a
# virtual environment in .venv, install the Python tools into it and build
# the extension in release mode with maturin.

VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip

.PHONY: demo test build bench venv

$(VENV)/.installed:
	python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q "maturin>=1.9.4,<2" "numpy>=1.22" "pytest>=7" "wgpu==0.32.0"
	touch $@

venv: $(VENV)/.installed

build: venv
	. $(VENV)/bin/activate && maturin develop --release -q

demo: build
	$(PY) -m autorust.demo

test: build
	cargo test --quiet
	$(PY) -m pytest -q

bench: build
	$(PY) benchmarks/run.py
