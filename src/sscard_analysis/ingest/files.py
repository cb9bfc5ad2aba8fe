"""Finding and opening ledger files (DATA_CONTRACT 1): discovery, sniffing, decoding, raw cells.

A file is opened by its content, not its extension (an ``.xlsx`` renamed
``.xls`` opens; an HTML page saved as ``.xls`` or an encrypted workbook is a
fatal error naming the file). Text files are decoded as UTF-16 (BOM), strict
UTF-8 (with or without BOM), else GB18030. The result is the sheet's raw
cells, row ``i`` being Excel row ``i + 1``.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
from pathlib import Path

from . import ledgers as L

DATA_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}


class FatalInputError(Exception):
    """A file that cannot be read at all (named in the message)."""


def discover(data_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Data files under ``data_dir`` (any depth, sorted) and the files ignored with a reason."""
    files, ignored = [], []
    for path in sorted(Path(data_dir).rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(data_dir))
        if path.name.startswith("~$") or path.name.startswith(".~lock"):
            ignored.append((rel, "Office 锁文件 (lock file)"))
        elif path.name.startswith(".") or path.name == "sscard.toml":
            continue
        elif path.suffix.lower() not in DATA_SUFFIXES:
            ignored.append((rel, f"不支持的文件类型 {path.suffix or '(无扩展名)'}"))
        else:
            files.append(path)
    return files, ignored


# ---------------------------------------------------------------- raw tables


def _sniff(path: Path, head: bytes) -> str:
    """'xlsx', 'ole', or 'text'; fatal for HTML/XML pages and encrypted workbooks."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FatalInputError(f"{path.name}: 工作簿已加密（设置了打开密码），请去掉密码后另存为 .xlsx 再放入数据目录")
        return "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff\x00 \t\r\n").lower()
    if stripped.startswith((b"<", b"<\x00")):
        raise FatalInputError(
            f"{path.name}: 不是 Excel 工作簿，而是另存为 {path.suffix} 的 HTML/XML 网页；请用 Excel 打开后另存为 .xlsx"
        )
    return "text"


def _decode(data: bytes) -> str:
    """UTF-16 (BOM), UTF-8 (with or without BOM; tried strictly first), else GB18030."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("gb18030")


def _read_text(path: Path) -> list[list]:
    text = _decode(path.read_bytes())
    lines = [ln for ln in text.splitlines()[:20] if ln.strip()]
    tabs = sum(ln.count("\t") for ln in lines)
    commas = sum(ln.count(",") for ln in lines)
    delim = "\t" if tabs > commas else ","
    return [list(r) for r in csv.reader(_io.StringIO(text, newline=""), delimiter=delim)]


def _pick_sheet(names: list[str], visible: list[bool], ledger: L.Ledger | None) -> int:
    if ledger is not None:
        prefixes = [L.normalize_header(p) for p in ledger.prefixes]
        for i, name in enumerate(names):
            if any(L.normalize_header(name).startswith(p) for p in prefixes):
                return i
    for i, vis in enumerate(visible):
        if vis:
            return i
    return 0


def _read_workbook(path: Path, ledger: L.Ledger | None) -> tuple[str, list[list], list[str]]:
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    notes = []
    try:
        with open(path, "rb") as fh:  # by content, not extension: an .xlsx renamed .xls opens too
            wb = CalamineWorkbook.from_filelike(_io.BytesIO(fh.read()))
        meta = wb.sheets_metadata
        names = [m.name for m in meta]
        visible = [m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet for m in meta]
        idx = _pick_sheet(names, visible, ledger)
        sheet = wb.get_sheet_by_index(idx)
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except FatalInputError:
        raise
    except Exception as exc:  # calamine raises its own error types
        raise FatalInputError(f"{path.name}: 无法打开工作簿（{type(exc).__name__}: {str(exc)[:120]}）") from None
    # Merged cells: every cell of a merged range holds the top-left value (BAD_INPUTS 2).
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value
    if path.suffix.lower() == ".xls" and len(rows) == 65536:
        notes.append("旧版 .xls 恰好 65,536 行：导出可能被截断，请改用 .xlsx 重新导出")
    if len(names) > 1:
        notes.append(f"工作簿有 {len(names)} 个工作表，读取的是“{names[idx]}”")
    return names[idx], rows, notes


def read_table(path: Path, ledger: L.Ledger | None) -> tuple[str, list[list], list[str]]:
    """The raw cells of a file's sheet: (sheet name, rows, notes). Row i is Excel row i+1."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "", [], ["空文件"]
    kind = _sniff(path, head)
    if kind == "text":
        try:
            return "", _read_text(path), []
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FatalInputError(f"{path.name}: 无法解析文本文件（{exc}）") from None
    return _read_workbook(path, ledger)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content (the cache key and the report fingerprint)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
