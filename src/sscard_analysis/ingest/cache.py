"""The parse cache: each file's accepted rows as parquet plus its record, quarantine and warnings as JSON.

The cache holds personal data as read (full ID and phone numbers, names), so
it is private to the user: folders 0700, files 0600. It lives in
:func:`sscard_analysis.config.cache_dir`, one subfolder per data folder
(named after a hash of the folder's resolved path). An entry is keyed by the
file's content hash, the ledger it was read for, what its reading depended
on (the date window: service period and calendar years) and the parser
version; entries of that folder matching none of its current files are
removed on each load. A read-only cache folder only costs speed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import asdict
from pathlib import Path

import pyarrow.parquet as parquet

from ..config import cache_dir
from . import ledgers as L
from .cells import normalize_dtypes
from .parse import FileRecord, ParsedFile

PARSER_VERSION = "2"
_LEGACY = re.compile(r"^[0-9a-f]{32}-[\w]+-v1\.(?:parquet|json)$")  # version 1 kept every entry at the top level


def folder_for(data_dir: Path, root: Path | None = None) -> Path:
    """The cache subfolder of one data folder."""
    key = hashlib.sha256(str(Path(data_dir).resolve()).encode("utf-8")).hexdigest()[:16]
    return (root or cache_dir()) / key


def entry_name(digest: str, ledger: str | None, context: str) -> str:
    """Base name of a file's entry (without suffix)."""
    ctx = hashlib.sha256(context.encode("utf-8")).hexdigest()[:10]
    return f"{digest[:32]}-{ledger or 'auto'}-{ctx}-v{PARSER_VERSION}"


def private_dir(path: Path) -> None:
    """Create ``path`` (and its parents) and make it the owner's only (0700), as the parse cache's folders are."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(path, 0o700)


def cache_load(folder: Path, name: str, rel: str) -> ParsedFile | None:
    pq, meta = folder / f"{name}.parquet", folder / f"{name}.json"
    if not (pq.is_file() and meta.is_file()):
        return None
    try:
        m = json.loads(meta.read_text(encoding="utf-8"))
        frame = parquet.read_table(pq).to_pandas()
        rec = FileRecord(**m["record"])
    except Exception:
        return None
    rec.file = rel
    ledger_spec = L.LEDGERS.get(rec.ledger or "")
    if ledger_spec is not None:
        frame = normalize_dtypes(frame, ledger_spec)
    for item in m["quarantine"] + m["warnings"]:
        item["file"] = rel
    return ParsedFile(rec, frame, m["quarantine"], m["warnings"])


def cache_store(folder: Path, name: str, parsed: ParsedFile) -> None:
    pq, meta = folder / f"{name}.parquet", folder / f"{name}.json"
    try:
        private_dir(folder.parent)
        private_dir(folder)
        tmp = pq.with_suffix(f".tmp{os.getpid()}")
        parsed.frame.to_parquet(tmp, index=False, compression="lz4")
        os.chmod(tmp, 0o600)
        os.replace(tmp, pq)
        tmpm = meta.with_suffix(f".tmp{os.getpid()}")
        fd = os.open(tmpm, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({"record": asdict(parsed.record), "quarantine": parsed.quarantine, "warnings": parsed.warnings},
                      fh, ensure_ascii=False)
        os.replace(tmpm, meta)
    except OSError:
        pass  # a read-only cache folder only costs speed


def prune(folder: Path, keep: set[str]) -> None:
    """Remove the folder's entries whose base name is not in ``keep`` (and version-1 entries at the top)."""
    try:
        for p in folder.iterdir():
            base = p.name.split(".", 1)[0]
            if base not in keep:
                p.unlink(missing_ok=True)
    except OSError:
        pass
    try:
        for p in folder.parent.iterdir():
            if p.is_file() and _LEGACY.match(p.name):
                p.unlink(missing_ok=True)
    except OSError:
        pass
