"""Reading messy ledger exports into typed frames plus a quarantine.

Implements DATA_CONTRACT.md section 1: files are found by name prefix (or by
their headers), read from xlsx/xls/csv in any of the listed encodings, their
header row found under any title rows, headers matched through synonyms,
summary and blank rows dropped and counted, every value typed, and every row
that cannot be used quarantined with file, sheet, Excel row and reason. The
counts always reconcile: rows read = accepted + quarantined + dropped.

Input files are never modified. Parsed files are cached as parquet under
:func:`sscard_analysis.config.cache_dir`, keyed by the file's content hash.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Settings, load_settings
from . import ledgers as L
from .cache import cache_load, cache_store
from .files import FatalInputError, discover, file_hash
from .parse import FileRecord, ParsedFile, Unassigned, empty_frame, parse_file

__all__ = ["DataSet", "FatalInputError", "FileRecord", "load"]


@dataclass
class DataSet:
    """Everything read from one data folder."""

    data_dir: Path
    settings: Settings
    frames: dict[str, pd.DataFrame]
    files: list[FileRecord]
    quarantine: pd.DataFrame
    warnings: pd.DataFrame
    ignored: list[tuple[str, str]]
    input_hashes: dict[str, str]

    def __getitem__(self, ledger: str) -> pd.DataFrame:
        return self.frames[ledger]

    def has(self, ledger: str) -> bool:
        """Whether the folder holds a file for ``ledger`` (an empty file counts)."""
        return any(r.ledger == ledger for r in self.files)

    def summary(self) -> pd.DataFrame:
        """Per-ledger reconciliation: files, rows read, accepted, quarantined, dropped, warnings."""
        rows = []
        for name, ledger in L.LEDGERS.items():
            recs = [r for r in self.files if r.ledger == name]
            rows.append({
                "ledger": name,
                "台账": ledger.zh,
                "files": len(recs),
                "rows_read": sum(r.rows_read for r in recs),
                "accepted": sum(r.accepted for r in recs),
                "quarantined": sum(r.quarantined for r in recs),
                "dropped_blank": sum(r.dropped_blank for r in recs),
                "dropped_summary": sum(r.dropped_summary for r in recs),
                "dropped_duplicate": sum(r.dropped_duplicate for r in recs),
                "warnings": sum(r.warnings for r in recs),
            })
        return pd.DataFrame(rows)


def _parse_job(args: tuple) -> ParsedFile | str:
    """Parse one file (in a worker process when there are several) and cache the result."""
    path, rel, ledger_name, digest, store = args
    try:
        parsed = parse_file(path, rel, L.LEDGERS[ledger_name] if ledger_name else None)
        if store:
            cache_store(digest, ledger_name, parsed)
        return parsed
    except Unassigned as exc:
        return "unassigned:" + str(exc)
    except FatalInputError as exc:
        return "fatal:" + str(exc)


# ---------------------------------------------------------------- the folder


def load(data_dir: Path | str, settings: Settings | None = None, use_cache: bool = True, workers: int | None = None) -> DataSet:
    """Read every ledger file of a data folder.

    Parameters
    ----------
    data_dir : the folder (any depth).
    settings : contract settings; read from ``sscard.toml`` in the folder when None.
    use_cache : reuse parsed files from the cache when their content is unchanged.
    workers : processes for parsing uncached files (default: up to 2 when there is enough to do).

    Raises
    ------
    FatalInputError
        A file cannot be opened, is not what its extension says, is encrypted,
        or lacks a required column (the message names the file and column).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FatalInputError(f"{data_dir}: 数据目录不存在")
    settings = settings or load_settings(data_dir)
    paths, ignored = discover(data_dir)
    # The same files read again in this process (a kernel rendering report after report): reuse.
    memo_key = (str(data_dir.resolve()), settings, tuple((str(p), file_hash(p)) for p in paths)) if use_cache else None
    if memo_key is not None and _LAST_LOAD.get("key") == memo_key:
        return _LAST_LOAD["data"]
    jobs, results, hashes = [], {}, {}
    digests = dict(p for p in memo_key[2]) if memo_key else {}
    for path in paths:
        rel = str(path.relative_to(data_dir))
        ledger = L.ledger_for_prefix(path.stem)
        digest = digests.get(str(path)) or file_hash(path)
        hashes[rel] = digest
        cached = cache_load(digest, ledger.name if ledger else None, rel) if use_cache else None
        if cached is not None:
            results[rel] = cached
        else:
            jobs.append((path, rel, ledger.name if ledger else None, digest))
    big = sum(p.stat().st_size for p, *_ in jobs) > 4_000_000
    n_workers = workers if workers is not None else (min(2, os.cpu_count() or 1) if len(jobs) > 1 and big else 1)
    args = [(p, r, lg, digest, use_cache) for p, r, lg, digest in jobs]
    if n_workers > 1:
        # fork is fast, but unsafe in a process that already runs threads (a Jupyter kernel): spawn there
        ctx = multiprocessing.get_context("fork" if threading.active_count() == 1 else "spawn")
        with ProcessPoolExecutor(n_workers, mp_context=ctx) as pool:
            outputs = list(pool.map(_parse_job, args))
    else:
        outputs = [_parse_job(a) for a in args]
    for (path, rel, ledger_name, digest), out in zip(jobs, outputs):
        if isinstance(out, str):
            kind, _, msg = out.partition(":")
            if kind == "fatal":
                raise FatalInputError(msg)
            ignored.append((rel, msg))
            continue
        results[rel] = out
    ds = _assemble(data_dir, settings, results, ignored, hashes)
    if memo_key is not None:
        _LAST_LOAD.update(key=memo_key, data=ds)
    return ds


_LAST_LOAD: dict = {}

OUTLET_REFERENCES = ("outlet_inspections", "phone_checks", "complaints")


def _unknown_outlets(frames: dict[str, pd.DataFrame], records: dict[str, FileRecord]) -> list[dict]:
    """An outlet_id unknown to the outlets ledger keeps its row and is a warning (DATA_CONTRACT 2)."""
    if not any(r.ledger == "outlets" for r in records.values()):
        return []
    known = set(frames["outlets"]["outlet_id"].dropna())
    out = []
    for name in OUTLET_REFERENCES:
        f = frames[name]
        unknown = f[f["outlet_id"].notna() & ~f["outlet_id"].isin(known)]
        for r in unknown[[L.SRC_FILE, L.SRC_SHEET, L.SRC_ROW, "outlet_id"]].to_dict("records"):
            rel = str(r[L.SRC_FILE])
            out.append({"file": rel, "sheet": r[L.SRC_SHEET], "row": int(r[L.SRC_ROW]), "ledger": name,
                        "column": "outlet_id", "reason": f"网点编号: “{r['outlet_id']}” 不在网点名录中，按原文保留"})
            records[rel].warnings += 1
    return out


def _assemble(data_dir: Path, settings: Settings, results: dict[str, ParsedFile], ignored, hashes) -> DataSet:
    frames: dict[str, pd.DataFrame] = {}
    quarantine, warnings = [], []
    records = {rel: p.record for rel, p in results.items()}
    for name, ledger in L.LEDGERS.items():
        rels = sorted(r for r, p in results.items() if p.record.ledger == name)
        for rel in rels:
            quarantine += results[rel].quarantine
            warnings += results[rel].warnings
        if not rels:
            empty = empty_frame(ledger)
            empty.insert(0, L.SRC_FILE, pd.Categorical([]))
            frames[name] = empty
            continue
        # The same key in several files: the file whose path sorts last wins.
        key = list(ledger.key)
        parts = [results[rel].frame for rel in rels]
        dup = pd.concat([p[key] for p in parts], ignore_index=True).duplicated(keep="last").to_numpy() if len(parts) > 1 else np.zeros(len(parts[0]), dtype=bool)
        kept, start = [], 0
        for rel, part in zip(rels, parts):
            d = dup[start:start + len(part)]
            start += len(part)
            if d.any():
                records[rel].dropped_duplicate += int(d.sum())
                records[rel].accepted -= int(d.sum())
                part = part[~d]
            kept.append(part)
        frame = pd.concat(kept, ignore_index=True) if len(kept) > 1 else kept[0].reset_index(drop=True)
        codes = np.repeat(np.arange(len(rels)), [len(k) for k in kept])
        frame.insert(0, L.SRC_FILE, pd.Categorical.from_codes(codes, categories=rels))
        frames[name] = frame
    warnings += _unknown_outlets(frames, records)
    q = pd.DataFrame(quarantine, columns=["file", "sheet", "row", "ledger", "reason"])
    w = pd.DataFrame(warnings, columns=["file", "sheet", "row", "ledger", "column", "reason"])
    files = [records[r] for r in sorted(records)]
    return DataSet(data_dir, settings, frames, files, q, w, ignored, hashes)
