"""Reading ``.xlsx`` workbooks at the speed of the bare reader.

The workbook's own parts are read with :mod:`zipfile`: the sheet list (names,
hidden or not, worksheet or chart), the first rows of a sheet (enough to find
its header, :data:`PEEK_ROWS`) and its merged ranges. Everything below the
header is read by fastexcel straight into Arrow arrays, each column with the
dtype its ledger column needs, so that no cell becomes a Python object:

- date columns are read as ``datetime`` (Excel dates and numbers both arrive
  as timestamps; text cells come back as cell errors, with their text),
- ID-number columns as ``boolean`` (a number cell is then a value, a text
  cell an error carrying the text: an ID number that Excel stored as a number
  is told apart from one typed as text),
- number columns as ``float`` (text that is not a plain number comes back as
  an error with its text),
- every other column with the dtype fastexcel finds for it over all rows.

A workbook this module cannot read this way (an odd part layout, a cell type
fastexcel refuses) raises :class:`Unsupported`; the caller then reads it with
python-calamine, cell by cell, which gives the same result more slowly.
"""

from __future__ import annotations

import html
import io
import posixpath
import re
import zipfile
import struct
import zlib
from zlib import error as zlib_error
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

PEEK_ROWS = 34  # rows read from the XML: the header search window plus a second header row and a spare


class Unsupported(Exception):
    """A workbook the fast reader does not handle (read cell by cell instead)."""


@dataclass(frozen=True)
class SheetInfo:
    name: str
    part: str  # zip member of the sheet's XML
    visible: bool  # visible and a worksheet (not a chart sheet)


_ATTR = re.compile(r'([\w:]+)\s*=\s*"([^"]*)"|([\w:]+)\s*=\s*\'([^\']*)\'')
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _attrs(text: str) -> dict[str, str]:
    out = {}
    for m in _ATTR.finditer(text):
        key = m.group(1) or m.group(3)
        out[key] = html.unescape(m.group(2) if m.group(1) else m.group(4))
    return out


def _local(attrs: dict[str, str], name: str) -> str | None:
    """An attribute by local name, whatever its namespace prefix (``r:id``, ``id``)."""
    for k, v in attrs.items():
        if k == name or k.endswith(":" + name):
            return v
    return None


def _text(raw: str) -> str:
    """XML character data to text: entities, then Excel's ``_xHHHH_`` escapes."""
    if "&" in raw:
        raw = html.unescape(raw)
    if "_x" in raw:
        raw = _XESC.sub(lambda m: chr(int(m.group(1), 16)), raw)
    return raw


_T_ELEM = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?t>)", re.S)
_RPH = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)


_SIMPLE_T = re.compile(r"^\s*<(?:\w+:)?t\b[^>]*>([^<]*)</(?:\w+:)?t>\s*$")


def _rich_text(inner: str) -> str:
    """The text of an ``<si>`` or ``<is>`` element: its ``<t>`` runs, phonetic runs left out."""
    simple = _SIMPLE_T.match(inner)
    if simple:
        return _text(simple.group(1))
    if "rPh" in inner:
        inner = _RPH.sub("", inner)
    return "".join(_text(m.group(1) or "") for m in _T_ELEM.finditer(inner))


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ord(ch) - 64)
    return n - 1


_REF = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")


def _ref(ref: str) -> tuple[int, int]:
    m = _REF.match(ref.strip().upper())
    if not m:
        raise Unsupported(f"cell reference {ref!r}")
    return int(m.group(2)) - 1, _col_index(m.group(1))


_SI = re.compile(r"<(?:\w+:)?si\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?si>)", re.S)
_HAS_VALUE = re.compile(r"<(?:\w+:)?(?:v|is)\b")


class Book:
    """The parts of an ``.xlsx`` workbook held in memory (bytes of the file)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            names = set(self.zip.namelist())
            wb_part = "xl/workbook.xml"
            if "_rels/.rels" in names:
                for rel in self._rels("_rels/.rels").values():
                    if rel[0].endswith("/officeDocument"):
                        wb_part = rel[1]
            if wb_part not in names:
                raise Unsupported("no workbook part")
            folder = posixpath.dirname(wb_part)
            rels = self._rels(posixpath.join(folder, "_rels", posixpath.basename(wb_part) + ".rels"), folder)
            text = self.zip.read(wb_part).decode("utf-8")
        except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ValueError) as exc:
            raise Unsupported(str(exc)) from None
        self.sheets: list[SheetInfo] = []
        for m in re.finditer(r"<(?:\w+:)?sheet\b([^>]*?)/?>", text):
            a = _attrs(m.group(1))
            rid = _local(a, "id")
            if rid is None or rid not in rels:
                raise Unsupported("sheet without a relationship")
            kind, part = rels[rid]
            state = a.get("state", "visible")
            self.sheets.append(SheetInfo(a.get("name", ""), part, state == "visible" and kind.endswith("/worksheet")))
        self._sst_part = next((p for k, p in rels.values() if k.endswith("/sharedStrings")), None)
        self._sst: list[str] = []
        self._sst_stream = None
        self._sst_buf = ""

    def _rels(self, part: str, folder: str = "") -> dict[str, tuple[str, str]]:
        try:
            text = self.zip.read(part).decode("utf-8")
        except KeyError:
            return {}
        out = {}
        for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*?)/?>", text):
            a = _attrs(m.group(1))
            if a.get("TargetMode") == "External":
                continue
            target = a.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
            out[a.get("Id", "")] = (a.get("Type", ""), target)
        return out

    # ------------------------------------------------------------ shared strings

    def shared(self, index: int) -> str:
        """Shared string ``index``, reading the table only as far as needed."""
        while len(self._sst) <= index:
            if not self._more_shared():
                raise Unsupported(f"shared string {index} missing")
        return self._sst[index]

    def _more_shared(self) -> bool:
        if self._sst_part is None:
            return False
        if self._sst_stream is None:
            self._sst_stream = self.zip.open(self._sst_part)
        chunk = self._sst_stream.read(1 << 16)
        if not chunk and not self._sst_buf:
            return False
        # decode across chunk boundaries: keep an incomplete UTF-8 tail for the next round
        data = getattr(self, "_sst_bytes", b"") + chunk
        cut = len(data)
        while cut and (data[cut - 1] & 0xC0) == 0x80:
            cut -= 1
        if cut and data[cut - 1] >= 0xC0:
            cut -= 1
        if not chunk:
            cut = len(data)
        self._sst_bytes = data[cut:]
        buf = self._sst_buf + data[:cut].decode("utf-8")
        end = 0
        for m in _SI.finditer(buf):
            self._sst.append(_rich_text(m.group(1) or ""))
            end = m.end()
        self._sst_buf = buf[end:]
        return bool(chunk) or end > 0

    # ------------------------------------------------------------ one sheet's XML

    def scan(self, sheet: SheetInfo, rows: int = PEEK_ROWS, merges: bool = True) -> tuple[list[list], list, bool]:
        """The first ``rows`` rows of a sheet as Python values, and its merged ranges.

        Values follow python-calamine: text as ``str``, numbers as ``float``,
        booleans as ``bool``, error cells and empty cells as ``""``. Row ``i``
        of the result is Excel row ``i + 1``; every row is as long as the
        longest. Merged ranges are ``((r0, c0), (r1, c1))``, 0-based and
        inclusive; with ``merges=False`` only the first rows are read. The
        third value says whether rows with values follow the first rows.
        """
        cells: dict[tuple[int, int], object] = {}
        self._more = False
        merged: list = []
        head = bytearray()
        tail = bytearray()
        carry = b""
        head_done = in_tail = False
        end_re = re.compile(rb"</(?:\w+:)?sheetData>|<(?:\w+:)?sheetData\s*/>")
        try:
            for chunk in self._inflate(sheet.part):
                if in_tail:
                    tail += chunk
                    continue
                # The end of sheetData, found with a plain search first (a regex over every '<' is slow);
                # only the few bytes across the chunk boundary are joined.
                for buf, skip in ((carry + chunk[:32], 0), (chunk, 1)):
                    at = buf.find(b"sheetData")
                    while at >= 0:
                        m = end_re.search(buf, max(at - 8, 0), at + 24)
                        if m and (skip or m.end() > len(carry)):
                            in_tail = True
                            tail += (buf[m.end():] + chunk[32:]) if not skip else buf[m.end():]
                            break
                        at = buf.find(b"sheetData", at + 9)
                    if in_tail:
                        break
                carry = chunk[-32:]
                if not head_done:
                    head += chunk
                    head_done = self._rows_from(bytes(head), rows, cells, final=in_tail)
                    if len(head) > (64 << 20):
                        raise Unsupported("first rows not found")
                if head_done and not merges:
                    break
            if not head_done:
                self._rows_from(bytes(head), rows, cells, final=True)
        except (zipfile.BadZipFile, KeyError, EOFError, ValueError, UnicodeDecodeError, zlib_error) as exc:
            raise Unsupported(str(exc)) from None
        if merges and tail:
            for m in re.finditer(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref\s*=\s*"([^"]+)"', bytes(tail)):
                ref = m.group(1).decode("ascii")
                a, _, b = ref.partition(":")
                merged.append((_ref(a), _ref(b or a)))
        n_rows = max((r for r, _ in cells), default=-1) + 1
        width = max((c for _, c in cells), default=-1) + 1
        out = [[""] * width for _ in range(n_rows)]
        for (r, c), v in cells.items():
            out[r][c] = v
        return out, merged, self._more

    def _inflate(self, part: str):
        """The decompressed bytes of a zip member, in chunks (raw inflate: no CRC pass over 40 MB)."""
        info = self.zip.getinfo(part)
        off = info.header_offset
        if self.data[off:off + 4] != b"PK\x03\x04" or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) \
                or info.flag_bits & 0x1:
            with self.zip.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    yield chunk
            return
        n, m = struct.unpack("<HH", self.data[off + 26:off + 30])
        comp = memoryview(self.data)[off + 30 + n + m: off + 30 + n + m + info.compress_size]
        step = 1 << 18
        if info.compress_type == zipfile.ZIP_STORED:
            for i in range(0, len(comp), step * 4):
                yield bytes(comp[i:i + step * 4])
            return
        d = zlib.decompressobj(-15)
        for i in range(0, len(comp), step):
            out = d.decompress(comp[i:i + step])
            if out:
                yield out
        out = d.flush()
        if out:
            yield out

    def _rows_from(self, head: bytes, limit: int, cells: dict, final: bool) -> bool:
        """Parse complete rows of ``head`` into ``cells`` (first ``limit`` rows); True when done."""
        text = head.decode("utf-8", errors="ignore") if not final else head.decode("utf-8", errors="strict")
        start = text.find("sheetData")
        if start < 0:
            return final
        cells.clear()
        row_no = -1
        for m in _ROW.finditer(text, start):
            r_attr = _R_ATTR.search(m.group(1))
            row_no = int(r_attr.group(1)) - 1 if r_attr else row_no + 1
            body = m.group(2) or ""
            if row_no >= limit:
                if _HAS_VALUE.search(body):
                    self._more = True
                    return True
                continue
            col = -1
            for c in _CELL.finditer(body):
                attrs = c.group(1)
                ref = _R_ATTR.search(attrs)
                if ref:
                    r, col = _ref(ref.group(1))
                    if r != row_no:
                        raise Unsupported("cell outside its row")
                else:
                    col += 1
                t = _T_ATTR.search(attrs)
                value = self._value(t.group(1) if t else "n", c.group(2) or "")
                if value is not None:
                    cells[(row_no, col)] = value
        return final

    def _value(self, t: str, inner: str):
        if t == "inlineStr":
            m = _IS.search(inner)
            return _rich_text(m.group(1)) if m else None
        v = _V.search(inner)
        if v is None:
            return None
        raw = v.group(1)
        if t == "s":
            return self.shared(int(raw))
        if t == "str":
            return _text(raw)
        if t == "b":
            return raw.strip() in ("1", "true")
        if t == "e":
            return ""
        if t == "d":
            try:
                return datetime.fromisoformat(_text(raw).strip())
            except ValueError:
                return _text(raw)
        try:
            return float(raw)
        except ValueError:
            raise Unsupported(f"number {raw!r}") from None


_ROW = re.compile(r"<(?:\w+:)?row\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?row>)", re.S)
_CELL = re.compile(r"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_R_ATTR = re.compile(r"(?:^|\s)r\s*=\s*[\"']([^\"']*)[\"']")
_T_ATTR = re.compile(r"(?:^|\s)t\s*=\s*[\"']([^\"']*)[\"']")
_V = re.compile(r"<(?:\w+:)?v\b[^>]*>(.*?)</(?:\w+:)?v>", re.S)
_IS = re.compile(r"<(?:\w+:)?is\b[^>]*>(.*?)</(?:\w+:)?is>", re.S)


# ---------------------------------------------------------------- the body through fastexcel

# Cell codes (one per cell of a raw column).
EMPTY, STR, NUM, DT, BOOL, OTHER = 0, 1, 2, 3, 4, 5

_RUST_ESC = re.compile(r"\\(u\{[0-9a-fA-F]+\}|.)", re.S)
_RUST_SIMPLE = {"n": "\n", "r": "\r", "t": "\t", "0": "\0", "\\": "\\", '"': '"', "'": "'"}
_SERIAL_MS = re.compile(r"value:\s*(-?[\d.eE+-]+|NaN|inf|-inf)")


def _unrust(s: str) -> str:
    """Undo Rust's ``Debug`` escaping of a string."""
    if "\\" not in s:
        return s
    return _RUST_ESC.sub(lambda m: chr(int(m.group(1)[2:-1], 16)) if m.group(1).startswith("u{") else _RUST_SIMPLE.get(m.group(1), m.group(1)), s)


EXCEL_EPOCH_MS = -2209161600000  # 1899-12-30 in ms since 1970


def serial_to_ms(serial: float, is_1904: bool = False) -> float:
    """An Excel serial day number as ms since 1970, as calamine converts it (1900 leap-year bug kept)."""
    if is_1904:
        serial += 1462
    elif serial < 60:
        serial += 1
    return EXCEL_EPOCH_MS + serial * 86_400_000


@dataclass
class Fixes:
    """Cells of a column that fastexcel could not give in the column's dtype, in row order.

    ``rows`` and ``codes`` are arrays; ``text`` holds the text cells (an Arrow
    string array, in row order, for the rows whose code is STR), ``values``
    the others (float for NUM/BOOL, ms since 1970 for DT, str for OTHER).
    """

    rows: np.ndarray
    codes: np.ndarray
    text: pa.Array
    values: np.ndarray


@dataclass
class ArrowColumn:
    """One column of the body as fastexcel gave it, with the cells it could not type."""

    array: pa.Array
    fixes: Fixes | None = None


_KIND_CODE = {"String": STR, "DateTimeIso": STR, "Float": NUM, "Int": NUM, "Bool": BOOL, "DateTime": DT,
              "DurationIso": OTHER, "Error": EMPTY, "Empty": EMPTY}


def _fixes(errors, cols) -> dict[int, Fixes]:
    """The cells fastexcel reported as errors, parsed from their descriptions, by absolute column index.

    A description reads ``Expected float but got 'String("1,234")'``: the
    cell's calamine type and its Rust ``Debug`` form.
    """
    errs = errors.errors
    if not errs:
        return {}
    where = np.array([e.offset_position for e in errs], dtype=np.int64).reshape(-1, 2)
    parts = pc.extract_regex(pa.array([e.detail for e in errs], pa.string()), r"got '(?P<kind>\w+)\((?P<body>.*)\)'?\s*$")
    kinds = parts.field("kind").to_numpy(zero_copy_only=False)
    bodies = parts.field("body")
    codes = np.array([_KIND_CODE.get(k, -1) for k in kinds], dtype=np.int8)
    if (codes < 0).any():
        raise Unsupported(f"cell type {kinds[np.flatnonzero(codes < 0)[0]]}")
    # Text cells: the quoted body, unescaped where it holds a backslash (rare).
    quoted = pc.utf8_slice_codeunits(bodies, 1, -1)
    escaped = pc.match_substring(quoted, "\\").to_numpy(zero_copy_only=False)
    if escaped.any():
        q = quoted.to_numpy(zero_copy_only=False).astype(object)
        q[escaped] = [_unrust(t) for t in q[escaped]]
        quoted = pa.array(q, pa.string())
    values = np.full(len(errs), None, dtype=object)
    other = np.flatnonzero(codes != STR)
    if len(other):
        raw = bodies.take(pa.array(other)).to_numpy(zero_copy_only=False)
        for i, b in zip(other, raw):
            c = codes[i]
            if c == NUM:
                values[i] = float(b)
            elif c == BOOL:
                values[i] = 1.0 if b == "true" else 0.0
            elif c == OTHER:
                values[i] = _unrust(b[1:-1])
            elif c == DT:
                v = _SERIAL_MS.search(b)
                if v is None:
                    raise Unsupported(f"cell {b!r}")
                if "TimeDelta" in b:
                    codes[i], values[i] = OTHER, str(timedelta(days=float(v.group(1))))
                else:
                    values[i] = serial_to_ms(float(v.group(1)), "is_1904: true" in b)
    out = {}
    col_of = np.array([c.absolute_index for c in cols], dtype=np.int64)[where[:, 1]]
    for c in np.unique(col_of):
        sel = np.flatnonzero(col_of == c)
        sel = sel[np.argsort(where[sel, 0], kind="stable")]
        is_text = codes[sel] == STR
        out[int(c)] = Fixes(where[sel, 0], codes[sel], quoted.take(pa.array(sel[is_text])), values[sel])
    return out


def load_body(book: Book, sheet: SheetInfo, start: int, dtypes: dict[int, str]) -> tuple[int, dict[int, ArrowColumn]]:
    """Rows from ``start`` (0-based Excel row) to the last, by absolute column index.

    ``dtypes`` forces a fastexcel dtype on some columns (absolute index ->
    ``"datetime"``, ``"boolean"``, ``"float"``); the others are typed by
    what they hold. Returns the number of rows and the columns.
    """
    import fastexcel

    try:
        reader = fastexcel.read_excel(book.data)
        try:
            xs = reader.load_sheet(sheet.name, header_row=None, skip_rows=start, schema_sample_rows=None,
                                   dtypes=dtypes or None)
        except fastexcel.InvalidParametersError:
            return 0, {}  # nothing below the header
        table, errors = xs.to_arrow_with_errors()
        cols = xs.selected_columns
    except Exception as exc:  # fastexcel's own errors: a cell type combination it refuses
        raise Unsupported(f"{type(exc).__name__}: {exc}") from None
    fixes = _fixes(errors, cols) if errors is not None else {}
    out = {c.absolute_index: ArrowColumn(table.column(i), fixes.get(c.absolute_index)) for i, c in enumerate(cols)}
    return table.num_rows, out


def to_datetime64(array: pa.Array) -> np.ndarray:
    """A timestamp array as datetime64[ns] (NaT where missing or outside pandas' range)."""
    ms = array.cast(pa.int64()).to_numpy(zero_copy_only=False) if array.null_count == 0 else \
        array.cast(pa.int64()).fill_null(np.iinfo(np.int64).min).to_numpy()
    unit = array.type.unit if pa.types.is_timestamp(array.type) else "ms"
    scale = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}[unit]
    missing = ms == np.iinfo(np.int64).min
    lim = np.iinfo(np.int64).max // scale
    out_of_range = ~missing & ((ms > lim) | (ms < -lim))
    ns = np.where(missing | out_of_range, 0, ms) * scale
    res = ns.view("datetime64[ns]").copy()
    res[missing | out_of_range] = np.datetime64("NaT")
    return res


def ms_to_datetime64(ms: float) -> np.datetime64:
    if not np.isfinite(ms) or abs(ms) > 9.2e15:
        return np.datetime64("NaT")
    return np.datetime64(int(round(ms)), "ms").astype("datetime64[ns]")
