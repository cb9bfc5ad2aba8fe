"""Report benchmark: one monthly report end to end (cold and warm), and a whole contract year of reports.

Prints these figures on the sample contract year (``data/sample``, made with
``sscard sample`` if missing):

- monthly_cold_s: ``sscard report monthly`` (all four formats: HTML, PDF,
  Excel, Word) as a user runs it, in a new process with an empty parse cache
  (every ledger parsed from Excel);
- monthly_warm_s: the same command again, the parse cache now warm;
- year_s: every report of the service year (52 weekly, 12 monthly, 4
  quarterly, 1 annual) with ``run_due`` from an empty output folder;
- plain_s: the same notebooks run one by one with the plain ``papermill`` and
  ``jupyter nbconvert --to html --no-input`` commands (HTML only, so it does
  less work); with ``--plain-limit N`` only N of them, spread evenly over the
  list, are run and the total is extrapolated (marked ``plain_extrapolated=1``).

Targets on 2 cores: monthly cold <= 20 s, warm <= 8 s, year <= 10 min and at
least 2x faster than the plain commands. Usage: ``python benchmarks/reports.py
[--period 2024-07] [--plain-limit N] [--monthly-only]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def monthly(data: Path, period: str, out: Path, cache: Path) -> float:
    """Seconds for one ``sscard report monthly`` in a new process, all formats, with the given parse cache."""
    env = dict(os.environ, SSCARD_CACHE_DIR=str(cache))
    t = time.perf_counter()
    subprocess.run([str(BIN / "sscard"), "report", "monthly", "--period", period, "--data", str(data), "--out", str(out)],
                   check=True, capture_output=True, env=env)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT / "data" / "sample"))
    ap.add_argument("--period", default="2024-07", help="the monthly report timed cold and warm")
    ap.add_argument("--plain-limit", type=int, default=0, help="run only this many reports the plain way (0 = all)")
    ap.add_argument("--monthly-only", action="store_true", help="time only the monthly report, cold and warm")
    args = ap.parse_args()

    from sscard_analysis.config import load_settings
    from sscard_analysis.ingest.reader import load
    from sscard_analysis.reporting.render import notebook_path
    from sscard_analysis.reporting.schedule import closed_periods, run_due

    data = Path(args.data)
    if not (data / "sscard.toml").is_file():
        subprocess.run([str(BIN / "sscard"), "sample", "--out", str(data)], check=True)
    work = Path(tempfile.mkdtemp(prefix="sscard-bench-reports-"))
    try:
        cache = work / "cache"
        cold_s = monthly(data, args.period, work / "cold", cache)
        warm_s = monthly(data, args.period, work / "warm", cache)
        line = f"reports: monthly_cold_s={cold_s:.1f} monthly_warm_s={warm_s:.1f}"
        if args.monthly_only:
            print(line)
            return
        load(data)  # the default parse cache is warm for every variant below
        settings = load_settings(data)
        today = settings.end + timedelta(days=3)
        t = time.perf_counter()
        result = run_due(data, work / "year", today=today, progress=False)
        year_s = time.perf_counter() - t
        n = len(result["done"])

        due = closed_periods(settings, today)
        # an even spread over weekly, monthly, quarterly and annual reports when only some are run
        plain = due[:: max(1, len(due) // args.plain_limit)][: args.plain_limit] if args.plain_limit else due
        t = time.perf_counter()
        for kind, label in plain:
            out = work / "plain" / f"{kind}-{label}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            subprocess.run([str(BIN / "papermill"), str(notebook_path(kind)), str(out), "-r", "period", label,
                            "-r", "data_dir", str(data.resolve()), "-r", "as_of", "", "--cwd", str(ROOT)],
                           check=True, capture_output=True)
            subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(out)], check=True, capture_output=True)
        plain_s = (time.perf_counter() - t) * len(due) / len(plain)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"{line} year_reports={n} year_s={year_s:.0f} plain_s={plain_s:.0f} "
          f"speedup={plain_s / year_s:.2f} plain_extrapolated={int(len(plain) < len(due))} failed={len(result['failed'])}")


if __name__ == "__main__":
    main()
