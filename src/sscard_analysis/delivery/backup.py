"""Backups of the raw ledgers (6.1(2): 完善数据备份策略), verifiable like any package.

``sscard backup --data DIR --out FILE.zip`` archives every file of the data
folder exactly as received (Office lock files and hidden files left out),
keeping each file's modification time, with a ``manifest.json`` that lists
each file's SHA-256 and size. ``sscard verify FILE.zip`` checks it with the
same code that checks packages and the handover dossier. The archive is
written to a temporary file next to the target and renamed at the end.
"""

from __future__ import annotations

import os
import tempfile
import zipfile
from datetime import datetime
from pathlib import Path

from ..ingest.files import file_hash
from .manifest import MANIFEST, DeliveryError, manifest_text


def backup_files(data_dir: Path, exclude: Path | None = None) -> list[Path]:
    """Files a backup holds: everything under ``data_dir`` except lock files, hidden files and ``exclude``."""
    out = []
    for p in sorted(Path(data_dir).rglob("*")):
        if not p.is_file() or p.name.startswith(("~$", ".~lock", ".")):
            continue
        if any(part.startswith(".") for part in p.relative_to(data_dir).parts[:-1]):
            continue
        if exclude is not None and p.resolve() == exclude.resolve():
            continue
        out.append(p)
    return out


def write_backup(data_dir: Path | str, target: Path | str, now: datetime | None = None) -> dict:
    """Archive the data folder into ``target`` (a zip) with a manifest; returns the manifest's file list.

    The zip holds ``<stem of target>/<relative path>`` for each file and
    ``<stem>/manifest.json`` (kind ``backup``; ``inputs`` = the same hashes,
    so a package's manifest can be compared with a backup's).
    """
    data_dir, target = Path(data_dir), Path(target)
    if not data_dir.is_dir():
        raise DeliveryError(f"{data_dir}: 数据目录不存在")
    if target.suffix.lower() != ".zip":
        raise DeliveryError(f"{target}: 备份文件应以 .zip 结尾")
    files = backup_files(data_dir, exclude=target)
    if not files:
        raise DeliveryError(f"{data_dir}: 数据目录中没有文件")
    target.parent.mkdir(parents=True, exist_ok=True)
    root = target.stem
    listed: dict[str, dict] = {}
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
            for p in files:
                rel = p.relative_to(data_dir).as_posix()
                if rel == MANIFEST:
                    raise DeliveryError(f"{data_dir}: 数据目录中有名为 {MANIFEST} 的文件，与备份清单同名，请改名后再备份")
                digest = file_hash(p)
                info = zipfile.ZipInfo.from_file(p, f"{root}/{rel}")
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(p, "rb") as src, zf.open(info, "w") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                if file_hash(p) != digest:
                    raise DeliveryError(f"{rel}: 备份过程中文件被修改，请稍后重试")
                listed[rel] = {"sha256": digest, "size": p.stat().st_size}
            params = {"data_dir": str(data_dir.resolve()), "files": len(listed)}
            text = manifest_text("backup", listed, {k: v["sha256"] for k, v in listed.items()}, params, now)
            zf.writestr(zipfile.ZipInfo(f"{root}/{MANIFEST}", (now or datetime.now()).timetuple()[:6]), text.encode("utf-8"))
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return listed
