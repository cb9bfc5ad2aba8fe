# sscard-analysis: two commands on a fresh machine, `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
SSCARD := $(VENV)/bin/sscard
STAMP  := $(VENV)/.installed
SAMPLE := data/sample

.PHONY: venv demo test lab sample bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

sample: venv
	$(SSCARD) sample --out $(SAMPLE)

# Sample data, its data-quality summary (exit 1 = some rows quarantined, as designed),
# and the KPI table of the latest complete month.
demo: sample
	$(SSCARD) validate --data $(SAMPLE) || test $$? -eq 1
	$(SSCARD) kpi --data $(SAMPLE) --period $$($(SSCARD) latest-month --data $(SAMPLE))

test: venv
	$(PY) -m pytest

lab: venv
	$(VENV)/bin/jupyter lab notebooks/

bench: venv
	$(PY) benchmarks/ingest.py

clean:
	rm -rf $(SAMPLE) data/interim/* reports/*
