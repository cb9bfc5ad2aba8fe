"""Manifests, verification, reproducible zips and atomic publication of packages.

Every package, dossier and backup carries ``manifest.json``, written last: each
file with its SHA-256 and size, the input files' hashes, the parameters, the
package version and the time it was built. A folder without a manifest is
incomplete by definition. :func:`verify` checks a folder or a zip against its
manifest and names every missing, extra or changed file.

Packages are built in a hidden staging folder next to the target and renamed
into place at the end (:func:`staging`), so a failure or a kill never leaves a
half-built package under the target name. Zips are reproducible: entries in
sorted order, fixed entry times, fixed permissions (:func:`write_zip`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

from ..config import pid_alive
from ..ingest.files import file_hash
from ..reporting.word import zip_stamp

MANIFEST = "manifest.json"
FORMAT = "sscard-delivery"
FORMAT_VERSION = 1
KINDS = {"package": "交付包", "dossier": "交接资料", "backup": "台账备份"}


class DeliveryError(RuntimeError):
    """A package, dossier or backup could not be built or read (the message says why, in one line)."""


def package_version() -> str:
    """The installed sscard-analysis version (recorded in every manifest)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sscard-analysis")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def input_hashes(data_dir: Path, ledger_hashes: dict[str, str]) -> dict[str, str]:
    """The inputs a package depends on: the ledger files read (their SHA-256, from the reader) and the
    folder's ``sscard.toml`` when there is one."""
    out = dict(ledger_hashes)
    settings = Path(data_dir) / "sscard.toml"
    if settings.is_file():
        out["sscard.toml"] = file_hash(settings)
    return dict(sorted(out.items()))


def folder_files(folder: Path) -> dict[str, dict]:
    """{relative posix path: {"sha256", "size"}} of every file under ``folder`` except the manifest, sorted."""
    out = {}
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if rel == MANIFEST:
            continue
        out[rel] = {"sha256": file_hash(path), "size": path.stat().st_size}
    return out


def manifest_text(kind: str, files: dict[str, dict], inputs: dict[str, str], parameters: dict,
                  built_at: datetime | None = None) -> str:
    """The manifest as written: sorted keys, one key per line, so only the ``built_at`` line differs between
    two builds from the same inputs."""
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "kind": kind,
        "package_version": package_version(),
        "built_at": (built_at or datetime.now()).replace(microsecond=0).isoformat(),
        "parameters": parameters,
        "inputs": dict(sorted(inputs.items())),
        "files": dict(sorted(files.items())),
    }
    return json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n"


def write_manifest(folder: Path, kind: str, inputs: dict[str, str], parameters: dict, built_at: datetime | None = None) -> dict:
    """Hash every file under ``folder`` and write ``manifest.json`` (call it last). Returns the manifest."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {sorted(KINDS)}")
    text = manifest_text(kind, folder_files(folder), inputs, parameters, built_at)
    (Path(folder) / MANIFEST).write_text(text, encoding="utf-8")
    return json.loads(text)


# ---------------------------------------------------------------- zips


def write_zip(folder: Path, target: Path, when: datetime | None = None) -> None:
    """Zip ``folder`` as ``<folder name>/...`` with entries sorted, entry times ``when``, permissions 0644.

    The same folder content and ``when`` give the same entries in the same
    order; the bytes of each entry are the file's bytes.
    """
    folder = Path(folder)
    stamp = zip_stamp(when)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(f"{folder.name}/{path.relative_to(folder).as_posix()}", stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)



# ---------------------------------------------------------------- atomic publication


def _clear_stale(parent: Path, name: str) -> None:
    """Remove staging folders of earlier builds of ``name`` whose process is gone (a kill leaves one behind)."""
    for old in parent.glob(f".{name}.tmp-*"):
        try:
            pid = int(old.name.rsplit("-", 2)[-2])
        except (ValueError, IndexError):
            continue
        if not pid_alive(pid):
            shutil.rmtree(old, ignore_errors=True)


@contextmanager
def staging(target: Path):
    """Build in a hidden folder next to ``target``; yields the folder to fill (named like the target).

    On success the caller publishes with :func:`publish`; on any exception
    (or a kill) nothing appears under the target name and the staging folder
    is removed (a killed build's folder is cleared by the next build).
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _clear_stale(target.parent, target.name)
    root = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-{os.getpid()}-", dir=target.parent))
    work = root / target.name
    work.mkdir()
    try:
        yield work
    finally:
        shutil.rmtree(root, ignore_errors=True)


def publish(work: Path, target: Path, zip_path: Path | None = None, when: datetime | None = None) -> None:
    """Move a finished staging folder to ``target`` (replacing an older build) and, with ``zip_path``, its zip.

    The zip is written inside the staging area first and moved into place
    before the folder, so each name appears only when complete.
    """
    target = Path(target)
    if zip_path is not None:
        tmp_zip = work.parent / (target.name + ".zip")
        write_zip(work, tmp_zip, when)
        os.replace(tmp_zip, zip_path)
    if target.exists():
        old = work.parent / (target.name + ".old")
        os.replace(target, old)
    os.replace(work, target)


# ---------------------------------------------------------------- verify


@dataclass
class Verification:
    """What :func:`verify` found: an intact package has no problem listed."""

    path: Path
    kind: str | None = None
    files: int = 0
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    problem: str | None = None  # the manifest itself is missing or unreadable

    @property
    def ok(self) -> bool:
        return not (self.missing or self.extra or self.changed or self.problem)

    def lines(self) -> list[str]:
        """The findings in Chinese, one per line."""
        if self.problem:
            return [f"{self.path}: {self.problem}"]
        label = KINDS.get(self.kind or "", "交付包")
        if self.ok:
            return [f"{self.path}: 完整（{label}，{self.files} 个文件与清单一致）"]
        out = [f"{self.path}: 与清单不一致（{label}）"]
        out += [f"缺少: {f}" for f in self.missing]
        out += [f"多出: {f}" for f in self.extra]
        out += [f"已改动: {f}" for f in self.changed]
        return out


def _read_manifest(text: bytes, where: str) -> tuple[dict | None, str | None]:
    try:
        data = json.loads(text.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None, f"{where} 无法读取（已损坏）"
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("files"), dict):
        return None, f"{where} 不是 sscard 交付清单"
    return data, None


def _compare(result: Verification, listed: dict, actual: dict[str, str | None]) -> Verification:
    """``actual``: path -> sha256 of what is there (None when it cannot be read)."""
    result.files = len(listed)
    for rel, meta in listed.items():
        if rel not in actual:
            result.missing.append(rel)
        elif actual[rel] != meta.get("sha256"):
            result.changed.append(rel)
    result.extra = sorted(set(actual) - set(listed))
    return result


def verify(path: Path | str) -> Verification:
    """Check a package folder or zip (or a backup zip) against its manifest.

    Raises
    ------
    DeliveryError
        ``path`` does not exist, or is neither a folder nor a readable zip (exit 2 in the CLI).
    """
    path = Path(path)
    if path.is_dir():
        return _verify_folder(path)
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise DeliveryError(f"{path}: 既不是文件夹也不是 zip 压缩包")
        try:
            return _verify_zip(path)
        except (zipfile.BadZipFile, OSError) as exc:
            raise DeliveryError(f"{path}: zip 压缩包无法读取（{exc}）") from None
    raise DeliveryError(f"{path}: 不存在")


def _verify_folder(folder: Path) -> Verification:
    result = Verification(folder)
    mf = folder / MANIFEST
    if not mf.is_file():
        result.problem = f"没有 {MANIFEST}：包不完整（清单最后写入，缺少清单说明生成未完成）"
        return result
    data, problem = _read_manifest(mf.read_bytes(), MANIFEST)
    if problem:
        result.problem = problem
        return result
    result.kind = data.get("kind")
    actual = {}
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        rel = p.relative_to(folder).as_posix()
        if rel != MANIFEST:
            try:
                actual[rel] = file_hash(p)
            except OSError:
                actual[rel] = None
    return _compare(result, data["files"], actual)


def _verify_zip(path: Path) -> Verification:
    result = Verification(path)
    with zipfile.ZipFile(path) as zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        candidates = sorted((n for n in names if PurePosixPath(n).name == MANIFEST), key=lambda n: n.count("/"))
        if not candidates:
            result.problem = f"压缩包中没有 {MANIFEST}：包不完整"
            return result
        mf = candidates[0]
        prefix = mf[: -len(MANIFEST)]
        try:
            raw = zf.read(mf)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            result.problem = f"{MANIFEST} 无法读取（{exc}）"
            return result
        data, problem = _read_manifest(raw, MANIFEST)
        if problem:
            result.problem = problem
            return result
        result.kind = data.get("kind")
        actual: dict[str, str | None] = {}
        for name in names:
            if name == mf:
                continue
            rel = name[len(prefix):] if name.startswith(prefix) else name
            h = hashlib.sha256()
            try:
                with zf.open(name) as fh:
                    for chunk in iter(lambda: fh.read(1 << 20), b""):
                        h.update(chunk)
                actual[rel] = h.hexdigest()
            except Exception:  # noqa: BLE001 - a damaged entry (bad CRC, zlib error, truncation) is a changed file
                actual[rel] = None
        return _compare(result, data["files"], actual)
