"""Scheduled runs: every report whose period has closed and that is missing or stale.

``sscard run-due`` lists the weekly (ISO weeks), monthly, quarterly (service
quarters) and annual (the service year) reports of the service period that
have closed by ``today``, skips those whose manifest entry has the same
inputs hash (input files, parameters, notebook, renderer version), and
renders the rest on up to two worker processes. A lock file makes sure two
runs never overlap.
"""

from __future__ import annotations

import fcntl
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from ..config import Settings, add_months
from ..dates.periods import service_quarters
from .render import (
    FORMATS,
    ReportError,
    inputs_hash,
    kernel,
    read_manifest,
    record_manifest,
    run_report,
)

LOCK = ".run-due.lock"


class Busy(RuntimeError):
    """Another run-due holds the lock."""


@contextmanager
def exclusive(out_dir: Path):
    """Hold ``out_dir/.run-due.lock`` for the duration (non-blocking: Busy if held)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fh = open(out_dir / LOCK, "w")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Busy(f"{out_dir}: 另一个 run-due 正在运行") from None
        yield
    finally:
        fh.close()


def closed_periods(settings: Settings, today: date) -> list[tuple[str, str]]:
    """(kind, period label) of every report period of the service that ended before ``today``."""
    start, end = settings.start, settings.end
    out = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end and monday + timedelta(days=6) < today:
        y, w, _ = monday.isocalendar()
        out.append(("weekly", f"{y}-W{w:02d}"))
        monday += timedelta(days=7)
    m = date(start.year, start.month, 1)
    while m <= end and add_months(m, 1) - timedelta(days=1) < today:
        out.append(("monthly", f"{m.year}-{m.month:02d}"))
        m = add_months(m, 1)
    for label, _, q_end in service_quarters(settings):
        if q_end < today:
            out.append(("quarterly", label))
    if end < today:
        out.append(("annual", "contract"))
    return out


_KERNEL = None


def _start_worker() -> None:
    """Each worker process keeps one kernel for all its reports, shut down when the worker exits."""
    global _KERNEL
    from multiprocessing.util import Finalize

    session = kernel()
    _KERNEL = session.__enter__()
    Finalize(None, session.__exit__, args=(None, None, None), exitpriority=10)


def _job(args: tuple) -> tuple[str, str, object]:
    kind, label, data_dir, out_dir = args
    try:
        return kind, label, run_report(kind, label, data_dir, out_dir, FORMATS, manifest=False, km=_KERNEL)
    except ReportError as exc:
        return kind, label, exc


def run_due(data_dir: Path, out_dir: Path, today: date | None = None, workers: int = 2, progress: bool = True) -> dict:
    """Render every due report; returns {"done": [...], "skipped": [...], "failed": [(key, message)]}."""
    from tqdm import tqdm

    from ..ingest.reader import load

    today = today or date.today()
    out_dir = Path(out_dir)
    with exclusive(out_dir):
        ds = load(data_dir)  # parses and caches once, before the workers start
        manifest = read_manifest(out_dir)
        due, skipped = [], []
        for kind, label in closed_periods(ds.settings, today):
            params = {"period": label, "data_dir": str(Path(data_dir).resolve()), "as_of": ""}
            entry = manifest.get(f"{kind}:{label}")
            files_ok = entry and all((out_dir / f).is_file() for f in entry["files"])
            if files_ok and entry["inputs_hash"] == inputs_hash(ds.input_hashes, params, kind):
                skipped.append(f"{kind}:{label}")
            else:
                due.append((kind, label, str(Path(data_dir).resolve()), str(out_dir)))
        done, failed = [], []
        bar = tqdm(total=len(due), desc="报告", unit="份", disable=not progress)
        with ProcessPoolExecutor(max(1, min(workers, len(due) or 1)), initializer=_start_worker) as pool:
            for fut in as_completed([pool.submit(_job, a) for a in due]):
                kind, label, result = fut.result()
                if isinstance(result, Exception):
                    failed.append((f"{kind}:{label}", str(result)))
                else:
                    record_manifest(out_dir, result)
                    done.append(f"{kind}:{label}")
                bar.update(1)
        bar.close()
    return {"done": sorted(done), "skipped": skipped, "failed": failed}
