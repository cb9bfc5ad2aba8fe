# sscard-analysis: two commands on a fresh machine, `make demo` and `make test`.
VENV   := .venv
PY     := $(VENV)/bin/python
SSCARD := $(VENV)/bin/sscard
STAMP  := $(VENV)/.installed
SAMPLE := data/sample

# System pieces the outputs need: CJK font for charts and PDFs, the libraries WeasyPrint
# uses (pango, harfbuzz subsetting), poppler for checking PDFs in the tests.
SYSTEM_PKGS := fonts-noto-cjk libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 poppler-utils

.PHONY: venv system-deps demo test lab strip sample reports bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

system-deps:
	@missing=$$(for p in $(SYSTEM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

sample: venv
	$(SSCARD) sample --out $(SAMPLE)

# Sample data, its data-quality summary (exit 1 = some rows quarantined, as designed),
# the KPI table of the latest complete month and that month's report in HTML, PDF and Excel.
demo: system-deps sample
	$(SSCARD) validate --data $(SAMPLE) || test $$? -eq 1
	$(SSCARD) kpi --data $(SAMPLE) --period $$($(SSCARD) latest-month --data $(SAMPLE))
	$(SSCARD) report monthly --period $$($(SSCARD) latest-month --data $(SAMPLE)) --data $(SAMPLE) --out reports/

# Every weekly, monthly, quarterly and annual report whose period has closed and is missing or stale.
reports: system-deps venv
	$(SSCARD) run-due --data $(SAMPLE) --out reports/

test: system-deps venv
	$(PY) -m pytest

# JupyterLab on the project's kernel: JUPYTER_PATH puts the venv's kernelspec first (a user-level
# "python3" kernel cannot shadow it), and its "python" is the venv's interpreter.
lab: venv
	JUPYTER_PATH=$(abspath $(VENV))/share/jupyter $(VENV)/bin/jupyter lab notebooks/

# Notebooks are committed without outputs (tests/test_notebooks.py checks it).
strip: venv
	$(VENV)/bin/nbstripout notebooks/reports/*.ipynb notebooks/explore/*.ipynb

bench: venv
	$(PY) benchmarks/ingest.py
	$(PY) benchmarks/reports.py --plain-limit 10

clean:
	rm -rf $(SAMPLE) data/interim/* reports/*
