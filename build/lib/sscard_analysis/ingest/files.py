"""Finding and opening ledger files (DATA_CONTRACT 1): discovery, sniffing, decoding, the sheet to read.

A file is opened by its content, not its extension (an ``.xlsx`` renamed
``.xls`` opens; an HTML page saved as ``.xls`` or an encrypted workbook is a
fatal error naming the file). Text files are decoded as UTF-16 (BOM), strict
UTF-8 (with or without BOM), else GB18030. ``.xlsx`` workbooks are read by
the fast reader (:mod:`.xlsx`), legacy ``.xls`` and anything it declines cell
by cell with python-calamine; both give the same :class:`Sheet`, row ``i``
being Excel row ``i + 1``.

The sheet read is the one named after the ledger, else the one visible
worksheet whose first rows carry the ledger's headers (two such sheets are a
fatal error naming both), else the first visible sheet. Linked folders are
followed, each folder and file once.
"""

from __future__ import annotations

import csv
import hashlib
import io as _io
import os
from pathlib import Path

import numpy as np

from ..privacy import scrub_message
from . import ledgers as L
from . import xlsx as X
from .cells import VOCABULARY, Raw
from .headers import find_header, guess_ledger
from .stages import Clock

DATA_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv", ".txt"}


class FatalInputError(Exception):
    """A file that cannot be read at all (named in the message)."""


def discover(data_dir: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Data files under ``data_dir`` (any depth, sorted) and the files ignored with a reason.

    Symbolically linked folders are followed (a folder reached twice, or a
    link back up the tree, is read once); a file reached twice through links
    is listed once, under the path that sorts first. Names of ignored files
    are scrubbed (:func:`sscard_analysis.privacy.scrub_message`).
    """
    data_dir = Path(data_dir)
    found: list[Path] = []
    seen_dirs: set[str] = set()
    for root, dirs, names in os.walk(data_dir, followlinks=True):
        real = os.path.realpath(root)
        if real in seen_dirs:
            dirs[:] = []
            continue
        seen_dirs.add(real)
        dirs.sort()
        found += [Path(root) / n for n in names]
    files, ignored = [], []
    seen_files: set[str] = set()
    for path in sorted(found):
        rel = str(path.relative_to(data_dir))
        if path.name.startswith("~$") or path.name.startswith(".~lock"):
            ignored.append((rel, "Office 锁文件 (lock file)"))
        elif path.name.startswith(".") or path.name == "sscard.toml":
            continue
        elif not path.is_file():
            ignored.append((rel, "链接指向的文件不存在"))
        elif path.suffix.lower() not in DATA_SUFFIXES:
            ignored.append((rel, f"不支持的文件类型 {path.suffix or '(无扩展名)'}"))
        else:
            real = os.path.realpath(path)
            if real in seen_files:
                continue
            seen_files.add(real)
            files.append(path)
    return files, [(scrub_message(rel, VOCABULARY), scrub_message(why, VOCABULARY)) for rel, why in ignored]


# ---------------------------------------------------------------- raw tables


def _sniff(path: Path, head: bytes) -> str:
    """'xlsx', 'ole', or 'text'; fatal for HTML/XML pages and encrypted workbooks."""
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        data = path.read_bytes()
        if "EncryptedPackage".encode("utf-16-le") in data:
            raise FatalInputError(f"{shown_name(path)}: 工作簿已加密（设置了打开密码），请去掉密码后另存为 .xlsx 再放入数据目录")
        return "ole"
    stripped = head.lstrip(b"\xef\xbb\xbf\xff\xfe\xfe\xff\x00 \t\r\n").lower()
    if stripped.startswith((b"<", b"<\x00")):
        raise FatalInputError(
            f"{shown_name(path)}: 不是 Excel 工作簿，而是另存为 {path.suffix} 的 HTML/XML 网页；请用 Excel 打开后另存为 .xlsx"
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


# ---------------------------------------------------------------- sheets


class Sheet:
    """One sheet of a file: its first rows as Python values, and its body on request.

    ``top`` holds the first rows (all of them for text files and legacy
    workbooks), merged ranges already filled in; row ``i`` is Excel row
    ``i + 1``. :meth:`body` gives the rows from ``start`` on, column by column.
    """

    def __init__(self, name: str, top: list[list], notes: list[str]) -> None:
        self.name = name
        self.top = top
        self.notes = notes

    def body(self, start: int, forced: dict[int, str]) -> tuple[int, dict[int, Raw]]:
        """(rows, columns by 0-based column index) from row ``start`` on; ``forced``: dtype hints by column."""
        raise NotImplementedError

    def is_empty(self) -> bool:
        """Whether the sheet holds no cell at all."""
        return not self.top


class RowsSheet(Sheet):
    """A sheet read cell by cell into Python values (text files, legacy .xls, odd workbooks)."""

    def __init__(self, name: str, rows: list[list], notes: list[str]) -> None:
        super().__init__(name, rows, notes)
        self.rows = rows

    def body(self, start: int, forced: dict[int, str]) -> tuple[int, dict[int, Raw]]:
        clock = Clock()
        body = self.rows[start:]
        width = max((len(r) for r in body), default=0)
        cols = {}
        for j in range(width):  # column by column: numpy would otherwise look inside the values
            cols[j] = Raw.from_values([r[j] if j < len(r) else "" for r in body])
        clock.lap("raw columns from Python values")
        return len(body), cols


class XlsxSheet(Sheet):
    """A sheet of an .xlsx workbook: first rows from its XML, the body through fastexcel (:mod:`.xlsx`)."""

    def __init__(self, book: X.Book, info: X.SheetInfo, top: list[list], merges: list, notes: list[str],
                 more: bool) -> None:
        super().__init__(info.name, top, notes)
        self.book = book
        self.info = info
        self.merges = merges
        self.more = more  # rows with values below the first rows

    def is_empty(self) -> bool:
        return not self.top and not self.more

    def body(self, start: int, forced: dict[int, str]) -> tuple[int, dict[int, Raw]]:
        clock = Clock()
        n, arrow = X.load_body(self.book, self.info, start, forced)
        clock.lap("cell read (fastexcel to Arrow)")
        cols = {j: Raw.from_arrow(a, n, forced.get(j)) for j, a in arrow.items()}
        # Merged ranges reaching into the body: every cell holds the top-left value (BAD_INPUTS 2).
        width = max(cols, default=-1) + 1
        fills: dict[int, list] = {}
        for (r0, c0), (r1, c1) in self.merges:
            if r1 < start or r0 >= start + n:
                continue
            if r0 < start:
                v = self.top[r0][c0] if r0 < len(self.top) and c0 < len(self.top[r0]) else ""
                code, val = _cell_of(Raw.from_values([v]), 0)
            elif c0 in cols:
                code, val = _cell_of(cols[c0], r0 - start)
            else:
                code, val = X.EMPTY, None
            rows = np.arange(max(r0, start), min(r1, start + n - 1) + 1) - start
            for c in range(c0, min(c1, width - 1) + 1):
                fills.setdefault(c, []).append((rows, code, val))
        for c, items in fills.items():
            if c not in cols:
                cols[c] = Raw.empty_column(n)
            cols[c].set_many(items)
        clock.lap("raw columns from Arrow")
        return n, cols


def _cell_of(raw: Raw, pos: int) -> tuple[int, object]:
    code = int(raw.code[pos])
    if code == X.STR:
        return code, raw.text.iloc[pos]
    if code in (X.NUM, X.BOOL):
        return code, raw.num[pos]
    if code == X.DT:
        return code, raw.dt[pos]
    if code == X.OTHER:
        return code, raw.other.get(pos)
    return code, None


def _fill_merges(rows: list[list], merged) -> None:
    """Every cell of a merged range holds the top-left value (BAD_INPUTS 2)."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows):
            continue
        value = rows[r0][c0] if c0 < len(rows[r0]) else ""
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value


def _choose_sheet(path: Path, names: list[str], visible: list[bool], ledger: L.Ledger | None, top_of) -> int:
    """The sheet to read (DATA_CONTRACT 1, review 13.7).

    A sheet named after the ledger wins; else the one visible worksheet
    whose first rows carry the ledger's headers (for a file of unknown
    ledger: any one ledger's); two such sheets are a fatal error naming both;
    none: the first visible sheet.
    """
    if ledger is not None:
        prefixes = [L.normalize_header(p) for p in ledger.prefixes]
        for i, name in enumerate(names):
            if any(L.normalize_header(name).startswith(p) for p in prefixes):
                return i
    candidates = [i for i, vis in enumerate(visible) if vis]
    if len(candidates) <= 1:
        return candidates[0] if candidates else 0
    if ledger is not None:
        carrying = [i for i in candidates if find_header(top_of(i), ledger) is not None]
    else:
        carrying = [i for i in candidates if guess_ledger(top_of(i))[0] is not None]
    if len(carrying) > 1:
        what = f"“{ledger.zh}”的表头" if ledger is not None else "台账表头"
        listed = "”和“".join(scrub_message(names[i], VOCABULARY) for i in carrying[:2])
        raise FatalInputError(
            f"{shown_name(path)}: 工作表“{listed}”都有{what}，无法确定读哪一个；"
            f"请删去多余的工作表，或把要读的工作表命名为“{ledger.zh if ledger else '台账名称'}”"
        )
    return carrying[0] if carrying else candidates[0]


def shown_name(path: Path | str) -> str:
    """A file name as a message may show it (ID, phone and name-like parts masked)."""
    return scrub_message(Path(path).name, VOCABULARY)


def _sheet_notes(path: Path, names: list[str], idx: int) -> list[str]:
    notes = []
    if len(names) > 1:
        notes.append(f"工作簿有 {len(names)} 个工作表，读取的是“{scrub_message(names[idx], VOCABULARY)}”")
    return notes


def _read_xlsx_fast(path: Path, data: bytes, ledger: L.Ledger | None) -> Sheet:
    book = X.Book(data)
    if not book.sheets:
        raise X.Unsupported("no sheets")
    names = [s.name for s in book.sheets]
    visible = [s.visible for s in book.sheets]
    scanned: dict[int, tuple[list, list, bool]] = {}

    def top_of(i: int) -> list[list]:
        if i not in scanned:
            top, merges, more = book.scan(book.sheets[i])
            _fill_merges(top, merges)
            scanned[i] = (top, merges, more)
        return scanned[i][0]

    idx = _choose_sheet(path, names, visible, ledger, top_of)
    top_of(idx)
    top, merges, more = scanned[idx]
    return XlsxSheet(book, book.sheets[idx], top, merges, _sheet_notes(path, names, idx), more)


def _read_workbook(path: Path, ledger: L.Ledger | None, data: bytes) -> Sheet:
    """A workbook read cell by cell with python-calamine (legacy .xls, and .xlsx the fast reader declines)."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    notes = []
    try:
        wb = CalamineWorkbook.from_filelike(_io.BytesIO(data))  # by content, not extension: an .xlsx renamed .xls opens too
        meta = wb.sheets_metadata
        names = [m.name for m in meta]
        visible = [m.visible == SheetVisibleEnum.Visible and m.typ == SheetTypeEnum.WorkSheet for m in meta]
        loaded: dict[int, list[list]] = {}

        def top_of(i: int) -> list[list]:
            if i not in loaded:
                sheet = wb.get_sheet_by_index(i)
                rows = sheet.to_python(skip_empty_area=False)
                _fill_merges(rows, sheet.merged_cell_ranges or [])
                loaded[i] = rows
            return loaded[i]

        idx = _choose_sheet(path, names, visible, ledger, top_of)
        rows = top_of(idx)
    except FatalInputError:
        raise
    except Exception as exc:  # calamine raises its own error types
        raise FatalInputError(f"{shown_name(path)}: 无法打开工作簿（{type(exc).__name__}: {scrub_message(str(exc))[:120]}）") from None
    if path.suffix.lower() == ".xls" and len(rows) == 65536:
        notes.append("旧版 .xls 恰好 65,536 行：导出可能被截断，请改用 .xlsx 重新导出")
    return RowsSheet(names[idx], rows, notes + _sheet_notes(path, names, idx))


def read_table(path: Path, ledger: L.Ledger | None) -> Sheet:
    """The sheet of a file to read: its name, first rows and body. Row i is Excel row i+1."""
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return RowsSheet("", [], ["空文件"])
    kind = _sniff(path, head)
    if kind == "text":
        try:
            return RowsSheet("", _read_text(path), [])
        except (UnicodeDecodeError, csv.Error) as exc:
            raise FatalInputError(f"{shown_name(path)}: 无法解析文本文件（{exc}）") from None
    data = path.read_bytes()
    if kind == "xlsx":
        try:
            return _read_xlsx_fast(path, data, ledger)
        except X.Unsupported:
            pass  # read cell by cell below
    return _read_workbook(path, ledger, data)


def file_hash(path: Path) -> str:
    """SHA-256 of a file's content (the cache key and the report fingerprint)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
