# Two commands do all the set-up on a fresh machine:  `make demo`  and  `make test`.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test bench lint screens clean

$(STAMP): pyproject.toml deploy/system-deps.sh
	bash deploy/system-deps.sh
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/campusgate demo

test: $(STAMP)
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(PY) bench/bench_decide.py
	$(PY) bench/bench_e2e.py
	$(PY) bench/bench_decode.py
	$(PY) bench/bench_gate.py
	$(PY) bench/bench_import.py

# the screenshots in docs/ (a plain test run writes its own to a temporary directory)
screens: $(STAMP)
	CAMPUSGATE_REFRESH_SCREENS=1 $(VENV)/bin/pytest tests/gate_agent/test_screen_agent.py \
		tests/gate_agent/devices/test_screen.py tests/gate_agent/devices/test_screen_layout.py \
		tests/integration/test_console_screens.py

lint: $(STAMP)
	$(PY) -m pip install --quiet ruff mypy
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy gatecore central gate_agent firmware_sim campusgate transport

clean:
	rm -rf $(VENV) var
