"""What a published report was built from: its fingerprint, and the manifest that records it.

A report's fingerprint covers everything that can change what it shows and
nothing else: the settings that affect reports (``sscard.toml``, normalised:
:func:`..config.report_settings`), the package version, the notebook
template, which ledgers the folder provides, and the accepted rows that can
reach the report — rows dated on or before its cut-off (cumulative quotas
and the settlement reach back to the service start) and rows without a date
(the staff roster, the outlets) — each row hashed with
``pandas.util.hash_pandas_object``, ledger by ledger. Where a row sits (file,
sheet, Excel row) is not part of it. So one edited May cell re-renders the
May report and the later ones, never March's; a stray ``.txt`` in the folder
re-renders nothing. The data-quality section is a snapshot of the folder at
generation time and is deliberately not part of the fingerprint.

``reports/manifest.json`` holds one entry per report (``kind:period``): the
fingerprint (``inputs_hash``), the parameters, the published files and
formats, how many input files fed it, when it was generated and by which
version. Each report is recorded by the process that published it, right
after publishing, under a file lock, so two workers never lose each other's
entries and a killed run leaves no published report unrecorded for longer
than the rename itself.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import package_version, report_settings
from ..dates.periods import Period
from ..ingest import ledgers as L
from ..ingest.reader import DataSet

MANIFEST = "manifest.json"
MANIFEST_LOCK = ".manifest.lock"
RENDER_VERSION = "2"  # bump when the renderer changes what a published report looks like

# The date that places a row in time (rows after a report's cut-off cannot change it). None: the
# ledger is a register without one (roster, directory, catalogue) and every row counts for every
# report. Deliverables count as undated: a report due in the period but submitted after the cut-off
# still changes the period's lateness figures.
EVENT_DATE: dict[str, str | None] = {
    "tickets": "received_at", "outlets": None, "outlet_inspections": "inspected_on", "phone_checks": "checked_at",
    "trainings": "held_on", "publications": "published_on", "guide_checks": "checked_at", "documents": "requested_at",
    "deliverables": None, "staff": None, "attendance": "date", "errors": "month", "complaints": "received_on",
    "pm_duties": "month", "support_records": "held_on", "applications": None, "app_inspections": "inspected_on",
    "psam_cards": "event_on",
}


class ReportError(RuntimeError):
    """A report could not be produced (the message says why, in one line)."""


@dataclass
class Published:
    """One report published under ``out_dir/<period>/``."""

    kind: str
    period: str
    files: list[Path]
    inputs_hash: str
    params: dict
    formats: tuple[str, ...] = ()
    input_files: int = 0
    extra: dict = field(default_factory=dict)


def require_ledgers(ds: DataSet) -> None:
    """Refuse a data folder in which no ledger was found (an empty or unmounted folder).

    A report made from nothing would replace a good one with a blank one.
    """
    if not ds.files:
        extra = f"（{len(ds.ignored)} 个文件未读取）" if ds.ignored else ""
        raise ReportError(f"{ds.data_dir}: 没有找到任何台账文件{extra}；请检查数据目录是否正确、是否已挂载")


class ReportInputs:
    """Every accepted row of a data folder, hashed once, to fingerprint any number of reports.

    Parameters
    ----------
    ds : the data folder as read.
    """

    def __init__(self, ds: DataSet) -> None:
        self.settings = ds.settings
        self.present = sorted(name for name in L.LEDGERS if ds.has(name))
        self._ledgers: dict[str, tuple[np.ndarray, np.ndarray | None, np.ndarray, list[str]]] = {}
        for name, frame in ds.frames.items():
            if frame.empty:
                continue
            cols = [c for c in frame.columns if c not in L.PROVENANCE]
            hashes = pd.util.hash_pandas_object(frame[cols], index=False).to_numpy()
            date_col = EVENT_DATE.get(name)
            dates = frame[date_col].to_numpy(dtype="datetime64[ns]") if date_col in frame else None
            files = frame[L.SRC_FILE] if L.SRC_FILE in frame else pd.Series(pd.Categorical([""] * len(frame)))
            codes, cats = pd.factorize(files.astype(object), use_na_sentinel=True)
            self._ledgers[name] = (hashes, dates, codes, [name + "\0" + ",".join(cols)] + [str(c) for c in cats])

    def _rows(self, as_of: datetime):
        cut = np.datetime64(pd.Timestamp(as_of).to_datetime64(), "ns")
        for name in sorted(self._ledgers):
            hashes, dates, codes, names = self._ledgers[name]
            keep = slice(None) if dates is None else ~(dates > cut)  # undated rows (NaT) count
            yield name, hashes[keep], codes[keep], names

    def fingerprint(self, kind: str, period: Period, notebook: bytes) -> str:
        """The hash of everything the report of ``kind`` for ``period`` (at its cut-off) can show."""
        h = hashlib.sha256()
        head = {"kind": kind, "period": period.label, "as_of": period.as_of.isoformat(), "settings": report_settings(self.settings),
                "version": package_version(), "renderer": RENDER_VERSION, "ledgers": self.present}
        h.update(json.dumps(head, sort_keys=True, ensure_ascii=False).encode())
        h.update(hashlib.sha256(notebook).digest())
        for name, hashes, _, names in self._rows(period.as_of):
            h.update(names[0].encode())
            h.update(np.ascontiguousarray(hashes).tobytes())
        return h.hexdigest()

    def input_files(self, period: Period) -> int:
        """How many input files hold at least one row that can reach the report (see :meth:`fingerprint`)."""
        used = set()
        for _, _, codes, names in self._rows(period.as_of):
            used.update(names[1 + c] for c in np.unique(codes) if c >= 0)
        return len(used)


# ---------------------------------------------------------------- the manifest


@contextmanager
def file_lock(path: Path, blocking: bool = True):
    """Hold an exclusive POSIX record lock on ``path`` (``fcntl.lockf``).

    A record lock belongs to the process that took it: child processes never
    inherit it (unlike ``flock``, whose lock lives as long as any forked copy
    of the descriptor), and the system drops it the moment its process dies.
    Yields the open file (``r+``) so the holder can note who it is.
    Raises BlockingIOError when ``blocking`` is false and the lock is held.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    fh = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        fcntl.lockf(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        yield fh
    finally:
        fh.close()  # closing releases the lock


def read_manifest(out_dir: Path) -> dict:
    """The manifest of ``out_dir`` ({} when there is none or it is unreadable)."""
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, OSError, UnicodeDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def _format(file: str) -> str:
    """A published file's format is its extension (``html``, ``pdf``, ``xlsx`` …)."""
    return Path(file).suffix.lstrip(".").lower()


def record_manifest(out_dir: Path, result: Published) -> dict:
    """Record one published report in ``out_dir/manifest.json`` (under a lock); returns its entry.

    A report re-published from the same inputs in other formats keeps the
    formats it already had (``--format html`` after a full run does not
    forget the PDF); new inputs replace the entry.
    """
    out_dir = Path(out_dir)
    path = out_dir / MANIFEST
    key = f"{result.kind}:{result.period}"
    files = [str(Path(f).relative_to(out_dir)) for f in result.files]
    with file_lock(out_dir / MANIFEST_LOCK):
        data = read_manifest(out_dir)
        old = data.get(key) or {}
        if old.get("inputs_hash") == result.inputs_hash:
            have = {_format(f) for f in files}
            files += [f for f in old.get("files", []) if _format(f) not in have and (out_dir / f).is_file()]
        formats = [_format(f) for f in files]
        entry = {
            "kind": result.kind, "period": result.period, "inputs_hash": result.inputs_hash, "parameters": result.params,
            "files": files, "formats": formats, "input_files": result.input_files, "version": package_version(),
            "generated_at": datetime.now().replace(microsecond=0).isoformat(), **result.extra,
        }
        data[key] = entry
        tmp = path.with_name(f".{MANIFEST}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    return entry
