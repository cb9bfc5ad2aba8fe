"""The parse cache: each file's accepted rows as parquet plus its record, quarantine and warnings as JSON.

Keyed by the file's content hash and the ledger it was read for, in
:func:`sscard_analysis.config.cache_dir`. A read-only cache folder only costs
speed.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from ..config import cache_dir
from . import ledgers as L
from .cells import normalize_dtypes
from .parse import FileRecord, ParsedFile

PARSER_VERSION = "1"


def _cache_paths(digest: str, ledger: str | None) -> tuple[Path, Path]:
    base = cache_dir() / f"{digest[:32]}-{ledger or 'auto'}-v{PARSER_VERSION}"
    return base.with_suffix(".parquet"), base.with_suffix(".json")


def cache_load(digest: str, ledger: str | None, rel: str) -> ParsedFile | None:
    pq, meta = _cache_paths(digest, ledger)
    if not (pq.is_file() and meta.is_file()):
        return None
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
        frame = pd.read_parquet(pq)
    except Exception:
        return None
    rec = FileRecord(**m["record"])
    rec.file = rel
    ledger_spec = L.LEDGERS.get(rec.ledger or "")
    if ledger_spec is not None:
        frame = normalize_dtypes(frame, ledger_spec)
    for item in m["quarantine"] + m["warnings"]:
        item["file"] = rel
    return ParsedFile(rec, frame, m["quarantine"], m["warnings"])


def cache_store(digest: str, ledger: str | None, parsed: ParsedFile) -> None:
    pq, meta = _cache_paths(digest, ledger)
    try:
        pq.parent.mkdir(parents=True, exist_ok=True)
        tmp = pq.with_suffix(f".tmp{os.getpid()}")
        parsed.frame.to_parquet(tmp, index=False)
        os.replace(tmp, pq)
        tmpm = meta.with_suffix(f".tmp{os.getpid()}")
        tmpm.write_text(json.dumps({"record": asdict(parsed.record), "quarantine": parsed.quarantine, "warnings": parsed.warnings}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmpm, meta)
    except OSError:
        pass  # a read-only cache folder only costs speed
