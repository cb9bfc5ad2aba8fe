"""Reading messy ledger exports into typed frames plus a quarantine.

Implements DATA_CONTRACT.md section 1: files are found by name prefix (or by
their headers), read from xlsx/xls/csv in any of the listed encodings, their
header row found under any title rows, headers matched through synonyms,
summary and blank rows dropped and counted, every value typed, and every row
that cannot be used quarantined with file, sheet, Excel row and reason. The
counts always reconcile: rows read = accepted + quarantined + dropped.

Dates outside the service period (a year either side) or outside the
working-day calendar's years are quarantined (review 13.3). The same key in
several files: the newer export wins (review 13.7).

Input files are never modified. Parsed files are cached as parquet under
:func:`sscard_analysis.config.cache_dir` (see :mod:`.cache`). Uncached files
are parsed in a second process when more than one big file is waiting, the
loading process taking its share.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ..config import Settings, add_months, load_settings
from ..dates.calendar import calendar_for
from ..privacy import scrub_message
from . import ledgers as L
from .cache import cache_load, cache_store, entry_name, folder_for, prune
from .cells import VOCABULARY, DateWindow, shown
from .files import FatalInputError, discover, file_hash, shown_name
from .parse import FileRecord, ParsedFile, Unassigned, empty_frame, parse_file
from .stages import Clock

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
    """Parse one file (in the worker process or not) and cache the result."""
    path, rel, ledger_name, window, folder, name = args
    try:
        parsed = parse_file(path, rel, L.LEDGERS[ledger_name] if ledger_name else None, window=window)
    except Unassigned as exc:
        return "unassigned:" + str(exc)
    except FatalInputError as exc:
        return "fatal:" + str(exc)
    clock = Clock()
    if folder is not None:
        cache_store(folder, name, parsed)
    clock.lap("parquet write")
    return parsed


def _parse_batch(jobs: list[tuple]) -> list:
    return [_parse_job(j) for j in jobs]


def date_window(settings: Settings) -> DateWindow:
    """The dates the ledgers may hold: the service period a year either side, within the calendar's years."""
    cal = calendar_for(settings)
    return DateWindow(add_months(settings.start, -12), add_months(settings.end, 12), tuple(cal.years))


BIG_FILE = 1_000_000  # bytes: a file worth a second process (about 10,000 ticket rows)


FILE_COST = 100_000  # bytes: what opening and typing a file costs whatever its size (≈ 15 ms)


def _split(sizes: list[int]) -> tuple[list[int], list[int]]:
    """Job indices for this process and for the worker, balanced by cost (size plus a fixed cost per file)."""
    mine, theirs, a, b = [], [], 0, 0
    for i in sorted(range(len(sizes)), key=lambda i: -sizes[i]):
        cost = sizes[i] + FILE_COST
        if b < a:
            theirs.append(i)
            b += cost
        else:
            mine.append(i)
            a += cost
    return mine, theirs


_POOL: dict = {}


def _pool(kind: str) -> ProcessPoolExecutor:
    """One parse worker, started on first use and kept for later loads in this process."""
    pool = _POOL.get(kind)
    if pool is None:
        # A forked worker flushes the output it inherited when it ends: flush first, so nothing prints twice.
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (AttributeError, OSError, ValueError):
                pass
        for old in _POOL.values():
            old.shutdown(wait=False)
        _POOL.clear()
        pool = _POOL[kind] = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context(kind))
    return pool


def _run(args: list[tuple], sizes: list[int], workers: int | None) -> list:
    """Parse every job; in two processes when more than one big file is waiting (or ``workers`` > 1 says so)."""
    big = sum(1 for s in sizes if s >= BIG_FILE)
    parallel = workers > 1 if workers is not None else (big > 1 and (os.cpu_count() or 1) > 1)
    if not parallel or len(args) < 2:
        return [_parse_job(a) for a in args]
    # fork is fast, but unsafe in a process that already runs threads (a Jupyter kernel): spawn there
    kind = "fork" if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods() else "spawn"
    clock = Clock()
    mine, theirs = _split(sizes)
    try:
        future = _pool(kind).submit(_parse_batch, [args[i] for i in theirs])
    except Exception:  # a pool that cannot start: do the work here
        return [_parse_job(a) for a in args]
    clock.lap("worker start-up")
    out: list = [None] * len(args)
    for i in mine:
        out[i] = _parse_job(args[i])
    clock = Clock()
    try:
        done = future.result()
    except Exception:  # the worker died (killed, out of memory): do its share here
        _POOL.clear()
        done = [_parse_job(args[i]) for i in theirs]
    clock.lap("waiting for the worker")
    for i, res in zip(theirs, done):
        out[i] = res
    return out


# ---------------------------------------------------------------- the folder


def load(data_dir: Path | str, settings: Settings | None = None, use_cache: bool = True, workers: int | None = None) -> DataSet:
    """Read every ledger file of a data folder.

    Parameters
    ----------
    data_dir : the folder (any depth; linked folders are followed).
    settings : contract settings; read from ``sscard.toml`` in the folder when None.
    use_cache : reuse parsed files from the cache when their content (and the settings they
        were read under) is unchanged.
    workers : processes for parsing uncached files (default: this one and one more when more
        than one big file is uncached; 1 keeps everything in this process).

    Raises
    ------
    FatalInputError
        A file cannot be opened, is not what its extension says, is encrypted,
        or lacks a required column (the message names the file and column).
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise FatalInputError(f"{data_dir}: 数据目录不存在")
    clock = Clock()
    settings = settings or load_settings(data_dir)
    window = date_window(settings)
    paths, ignored = discover(data_dir)
    stats = {p: p.stat() for p in paths}
    digests = {p: file_hash(p) for p in paths}
    clock.lap("discover and hash")
    # The same files read again in this process (a kernel rendering report after report): reuse.
    memo_key = (str(data_dir.resolve()), settings, tuple((str(p), digests[p], stats[p].st_mtime_ns) for p in paths))
    if use_cache and _LAST_LOAD.get("key") == memo_key:
        return _LAST_LOAD["data"]
    folder = folder_for(data_dir)
    jobs, sizes, results, hashes, keep = [], [], {}, {}, set()
    for path in paths:
        rel = str(path.relative_to(data_dir))
        ledger = L.ledger_for_prefix(path.stem)
        hashes[rel] = digests[path]
        name = entry_name(digests[path], ledger.name if ledger else None, window.key())
        keep.add(name)
        cached = cache_load(folder, name, rel) if use_cache else None
        if cached is not None:
            results[rel] = cached
        else:
            jobs.append((path, rel, ledger.name if ledger else None, window, folder if use_cache else None, name))
            sizes.append(stats[path].st_size)
    clock.lap("cache read")
    outputs = _run(jobs, sizes, workers)
    clock = Clock()
    for (path, rel, *_), out in zip(jobs, outputs):
        if isinstance(out, str):
            kind, _, msg = out.partition(":")
            if kind == "fatal":
                raise FatalInputError(msg)
            ignored.append((scrub_message(rel, VOCABULARY), msg))
            continue
        results[rel] = out
    if use_cache:
        prune(folder, keep)
    mtimes = {str(p.relative_to(data_dir)): stats[p].st_mtime for p in paths}
    ds = _assemble(data_dir, settings, results, ignored, hashes, mtimes)
    clock.lap("cross-file duplicates and assembly")
    if use_cache:
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
                        "column": "outlet_id", "reason": f"网点编号: {shown(r['outlet_id'])} 不在网点名录中，按原文保留"})
            records[rel].warnings += 1
    return out


def _stamp(rec: FileRecord, mtime: float) -> tuple[float, str]:
    """When a file was exported: the export time in its title rows, else its modification time."""
    if rec.exported_at:
        when = datetime.fromisoformat(rec.exported_at)
        return when.timestamp(), f"导出时间 {when:%Y-%m-%d %H:%M}"
    return mtime, f"修改时间 {datetime.fromtimestamp(mtime):%Y-%m-%d %H:%M:%S}"


def _key_codes(parts: list[pd.DataFrame], key: list[str]) -> np.ndarray:
    """One integer per row of the concatenated parts, equal for equal keys."""
    if len(key) == 1:
        return pd.factorize(pd.concat([p[key[0]] for p in parts], ignore_index=True))[0]
    keys = pd.concat([p[key] for p in parts], ignore_index=True)
    return keys.groupby(key, dropna=False, sort=False).ngroup().to_numpy()


def _cross_file_duplicates(ledger: L.Ledger, rels: list[str], parts: list[pd.DataFrame], stamps: dict[str, tuple[float, str]],
                           records: dict[str, FileRecord]) -> tuple[list[np.ndarray], list[dict]]:
    """The same key in several files: the newer export wins (review 13.7).

    Newer means a later export time written in the title rows, else a later
    file modification time, then the path that sorts last. Returns, per
    part, the rows to drop, and a warning for each dropped row whose content
    differs from the row that wins; identical repeats are dropped quietly.
    """
    key = list(ledger.key)
    n = np.array([len(p) for p in parts])
    starts = np.concatenate([[0], np.cumsum(n)])
    codes = _key_codes(parts, key)
    drops = [np.zeros(k, dtype=bool) for k in n]
    counts = np.bincount(codes[codes >= 0]) if len(codes) else np.zeros(0, dtype=np.int64)
    if not len(counts) or counts.max() <= 1:
        return drops, []
    order_of_file = sorted(range(len(rels)), key=lambda i: (stamps[rels[i]][0], rels[i]))
    rank = np.empty(len(rels), dtype=np.int64)
    rank[order_of_file] = np.arange(len(rels))
    file_of = np.repeat(np.arange(len(rels)), n)
    order = np.argsort(rank[file_of], kind="stable")  # older files first, rows in file order
    place = np.empty(len(order), dtype=np.int64)
    place[order] = np.arange(len(order))
    shared = (codes >= 0) & (counts[np.maximum(codes, 0)] > 1)
    best = np.full(len(counts), -1, dtype=np.int64)
    np.maximum.at(best, codes[shared], place[shared])
    lost = np.flatnonzero(shared & (place != best[np.maximum(codes, 0)]))
    won = order[best[codes[lost]]]
    for pos in lost:
        drops[file_of[pos]][pos - starts[file_of[pos]]] = True
    # Compare each dropped row with the row that wins, on the ledger's own columns.
    content = [c.name for c in ledger.columns] + [L.SRC_SHEET, L.SRC_ROW]

    def rows_at(positions: np.ndarray) -> pd.DataFrame:
        f = file_of[positions]
        pieces = [parts[i][content].iloc[positions[f == i] - starts[i]] for i in np.unique(f)]
        got = pd.concat(pieces) if len(pieces) > 1 else pieces[0]
        back = np.argsort(np.argsort(f, kind="stable"), kind="stable")  # pieces come file by file: restore the order
        return got.iloc[back].reset_index(drop=True)

    a, b = rows_at(lost), rows_at(won)
    same = np.ones(len(lost), dtype=bool)
    for c in content[:-2]:
        x, y = a[c], b[c]
        eq = (x == y).to_numpy(dtype=bool, na_value=False) if x.dtype == y.dtype else (x.astype(object) == y.astype(object)).to_numpy(dtype=bool)
        same &= eq | (x.isna().to_numpy() & y.isna().to_numpy())
    warnings = []
    for i in np.flatnonzero(~same):
        lf, wf = rels[file_of[lost[i]]], rels[file_of[won[i]]]
        reason = (f"与“{shown_name(wf)}”第 {int(b.at[i, L.SRC_ROW])} 行主键相同而内容不同，"
                  f"以较新的导出“{shown_name(wf)}”（{stamps[wf][1]}）为准，"
                  f"本文件“{shown_name(lf)}”（{stamps[lf][1]}）的这一行不计")
        warnings.append({"file": lf, "sheet": a.at[i, L.SRC_SHEET], "row": int(a.at[i, L.SRC_ROW]), "ledger": ledger.name,
                         "column": ",".join(key), "reason": reason})
        records[lf].warnings += 1
    for f, d in enumerate(drops):
        k = int(d.sum())
        if k:
            records[rels[f]].dropped_duplicate += k
            records[rels[f]].accepted -= k
    return drops, warnings


def _assemble(data_dir: Path, settings: Settings, results: dict[str, ParsedFile], ignored, hashes,
              mtimes: dict[str, float]) -> DataSet:
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
        parts = [results[rel].frame for rel in rels]
        if len(parts) > 1:
            stamps = {rel: _stamp(records[rel], mtimes.get(rel, 0.0)) for rel in rels}
            drops, dup_warnings = _cross_file_duplicates(ledger, rels, parts, stamps, records)
            warnings += dup_warnings
            parts = [p[~d] if d.any() else p for p, d in zip(parts, drops)]
            frame = pd.concat(parts, ignore_index=True)
            file_of = np.repeat(np.arange(len(rels)), [len(p) for p in parts])
        else:
            frame = parts[0].reset_index(drop=True)
            file_of = np.zeros(len(frame), dtype=np.int64)
        frame.insert(0, L.SRC_FILE, pd.Categorical.from_codes(file_of, categories=rels))
        frames[name] = frame
    warnings += _unknown_outlets(frames, records)
    q = pd.DataFrame(quarantine, columns=["file", "sheet", "row", "ledger", "reason"])
    w = pd.DataFrame(warnings, columns=["file", "sheet", "row", "ledger", "column", "reason"])
    files = [records[r] for r in sorted(records)]
    return DataSet(data_dir, settings, frames, files, q, w, ignored, hashes)
