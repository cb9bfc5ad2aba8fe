"""One file: raw cells to accepted rows, a quarantine and warnings (no cross-file logic).

The counts of a file always reconcile: rows read = accepted + quarantined +
dropped (blank, summary, duplicate).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from . import ledgers as L
from . import xlsx as X
from .cells import STR, DateWindow, Problems, Raw, as_text, convert, normalize_dtypes
from .files import FatalInputError, read_table, shown_name
from .stages import Clock
from .headers import (
    HEADER_SEARCH_ROWS,
    SUMMARY_WORDS,
    best_header_guess,
    declared_count,
    export_time,
    find_header,
    guess_ledger,
    header_index,
    is_subheader,
    is_summary_row,
    map_headers,
    nonempty,
)


@dataclass
class FileRecord:
    """What happened to one input file (the data-quality record)."""

    file: str
    ledger: str | None
    sheet: str = ""
    header_row: int = 0  # Excel row number of the header (0: none found)
    title_rows: int = 0  # rows above the header (banners, blanks)
    rows_read: int = 0  # rows below the header
    accepted: int = 0
    quarantined: int = 0
    dropped_blank: int = 0
    dropped_summary: int = 0
    dropped_duplicate: int = 0
    warnings: int = 0
    notes: list[str] = field(default_factory=list)
    exported_at: str | None = None  # export time written in the title rows (ISO), if any

    @property
    def dropped(self) -> int:
        return self.dropped_blank + self.dropped_summary + self.dropped_duplicate

    def reconciles(self) -> bool:
        return self.rows_read == self.accepted + self.quarantined + self.dropped


@dataclass
class ParsedFile:
    record: FileRecord
    frame: pd.DataFrame  # accepted rows, typed, with _sheet and _row
    quarantine: list[dict]
    warnings: list[dict]


_FORCED = {L.DATETIME: "datetime", L.DATE: "datetime", L.MONTH: "datetime", L.ID_NUMBER: "boolean",
           L.INT: "float", L.FLOAT: "float"}
_SUMMARY_CHARS = "[" + "".join(sorted({L.normalize_header(w)[0] for w in SUMMARY_WORDS})) + "]"


def parse_file(path: Path, rel: str, ledger: L.Ledger | None, today: date | None = None,
               window: DateWindow | None = None) -> ParsedFile:
    """Read one file into accepted rows, quarantine and warnings (no cross-file logic).

    ``window``: the dates the ledgers may hold (dates outside it are
    quarantined or blanked, review 13.3); None checks nothing.
    """
    today = today or date.today()
    clock = Clock()
    sheet = read_table(path, ledger)
    clock.lap("open, sniff, first rows, merged ranges")
    rows = sheet.top
    if ledger is None:
        ledger, candidates = guess_ledger(rows)
        if ledger is None:
            raise Unassigned("表头同时符合多个台账: " + ", ".join(candidates) if candidates else "文件名与表头都无法对应任何台账")
    rec = FileRecord(file=rel, ledger=ledger.name, sheet=sheet.name, notes=sheet.notes)
    if sheet.is_empty():
        return ParsedFile(rec, empty_frame(ledger), [], [])
    found = find_header(rows, ledger)
    if found is None:
        guess_row, headers = best_header_guess(rows, ledger)
        index = header_index(ledger)
        have = set(m for m in map_headers(rows[guess_row], index) if m) if guess_row < len(rows) else set()
        missing = [f"{c.zh}({c.name})" for c in ledger.required if c.name not in have]
        found_text = f"在第 {guess_row + 1} 行找到的表头: {', '.join(headers[:40])}" if headers else f"前 {HEADER_SEARCH_ROWS} 行中没有任何可识别的表头"
        raise FatalInputError(f"{shown_name(rel)}: 缺少必填列 {', '.join(missing)}；{found_text}")
    h, mapped = found
    width = max(len(r) for r in rows)
    # A second header row (sub-headers under a merged banner): its cells name known columns.
    nxt = rows[h + 1] if h + 1 < len(rows) else []
    index = header_index(ledger)
    nxt_mapped = map_headers(nxt, index)
    key_pos = mapped.index(ledger.key[0]) if ledger.key[0] in mapped else None
    if is_subheader(rows[h], mapped, nxt, nxt_mapped, key_pos):
        mapped = [b or a for a, b in zip(mapped + [None] * (len(nxt_mapped) - len(mapped)), nxt_mapped)]
        header_cells = [n if nonempty(n) else o for o, n in zip(list(rows[h]) + [""] * width, list(nxt) + [""] * width)]
        data_start = h + 2
    else:
        header_cells = list(rows[h]) + [""] * (width - len(rows[h]))
        data_start = h + 1
    rec.header_row = h + 1
    rec.title_rows = h
    exported = export_time(rows[:h])
    rec.exported_at = exported.isoformat(sep=" ") if exported else None
    # The dtype each ledger column is read with (first occurrence of a header only).
    forced, seen_cols = {}, set()
    for i, m in enumerate(mapped):
        if m and m not in seen_cols:
            seen_cols.add(m)
            kind = _FORCED.get(ledger.column(m).kind)
            if kind:
                forced[i] = kind
    clock.lap("header match")
    n, cols = sheet.body(data_start, forced)
    clock = Clock()
    width = max([width, *(j + 1 for j in cols)])
    # Column names: canonical where matched (first occurrence), else the header as written.
    names, seen = [], set()
    for i in range(width):
        m = mapped[i] if i < len(mapped) else None
        if m and m not in seen:
            names.append(m)
            seen.add(m)
        else:
            label = str(header_cells[i]).strip() if i < len(header_cells) and nonempty(header_cells[i]) else f"列{i + 1}"
            if m:
                rec.notes.append(f"表头“{label}”重复出现，后一列作为附加列保留")
                label = f"{label}(重复)"
            while label in names or label in seen:
                label += "_"
            names.append(label)
    columns = [cols[j] if j in cols else Raw.empty_column(n) for j in range(width)]
    rec.rows_read = n
    excel_rows = np.arange(data_start + 1, data_start + 1 + n)
    # Blank rows (whitespace-only text is empty too) and summary rows (the first filled cell is text
    # such as 合计), found column by column.
    filled = np.zeros((width, n), dtype=bool)
    for j, c in enumerate(columns):
        filled[j] = ~c.empty()
    blank = ~filled.any(axis=0) if width else np.ones(n, dtype=bool)
    summary = np.zeros(n, dtype=bool)
    first = filled.argmax(axis=0) if width else np.zeros(n, dtype=np.int64)
    for j in np.unique(first[~blank]):
        c = columns[j]
        at = np.flatnonzero(~blank & (first == j) & (c.code == X.STR))
        if not len(at):
            continue
        txt = c.text.iloc[at]
        maybe = txt.str.contains(_SUMMARY_CHARS).fillna(False).to_numpy(dtype=bool)
        for p, v in zip(at[maybe], txt[maybe]):
            summary[p] = is_summary_row([v])
    rec.dropped_blank = int(blank.sum())
    rec.dropped_summary = int(summary.sum())
    keep = ~(blank | summary)
    for i in np.flatnonzero(summary):
        declared = declared_count([c.value(int(i)) for c in columns], key_pos)
        actual = int(keep[:i].sum())
        if declared is not None and declared != actual:
            rec.notes.append(f"第 {excel_rows[i]} 行合计写 {declared} 条，实际读到 {actual} 条数据行")
    kept_idx = np.flatnonzero(keep)
    whole = len(kept_idx) == n
    raw = {name: (c if whole else c.take(kept_idx)) for name, c in zip(names, columns)}
    rows_no = excel_rows[keep]
    n_kept = len(kept_idx)
    clock.lap("blank and summary rows")
    problems = Problems(n_kept)
    out: dict[str, pd.Series] = {}
    for col in ledger.columns:
        if col.name in raw:
            out[col.name] = convert(col, raw[col.name], problems, today, window)
        else:
            out[col.name] = pd.Series(None, index=range(n_kept), dtype=object)
    for extra in [c for c in names if c not in ledger._by_name]:
        out[extra] = as_text(raw[extra])
    out[L.SRC_SHEET] = pd.Series(sheet.name, index=range(n_kept), dtype=STR)
    out[L.SRC_ROW] = pd.Series(rows_no.astype(np.int64))
    out = pd.DataFrame(out)
    sheet_name = sheet.name
    clock.lap("typing and validation")

    q_mask = problems.quarantined()
    quarantine = [
        {"file": rel, "sheet": sheet_name, "row": int(rows_no[p]), "ledger": ledger.name, "reason": "；".join(problems.reasons[p])}
        for p in np.flatnonzero(q_mask)
    ]
    warnings = [
        {"file": rel, "sheet": sheet_name, "row": int(rows_no[p]), "ledger": ledger.name, "column": c, "reason": r}
        for p, c, r in problems.warnings
        if not q_mask[p]
    ]
    # Duplicates inside one file: identical repeats dropped quietly; conflicting ones warned, the later wins.
    key = list(ledger.key)
    valid = ~q_mask
    keys = out[key[0]] if len(key) == 1 else out[key]
    dup_key = np.zeros(len(out), dtype=bool)
    if valid.all():
        dup_key = keys.duplicated(keep="last").to_numpy()
    else:
        dup_key[valid] = keys[valid].duplicated(keep="last").to_numpy()
    valid = np.flatnonzero(valid)
    if dup_key.any():
        good = out.iloc[valid]
        content = [c for c in good.columns if c not in (L.SRC_SHEET, L.SRC_ROW)]
        involved = good[good.duplicated(subset=key, keep=False)]  # only rows sharing a key are compared in full
        identical = involved.astype(str).duplicated(subset=content, keep="last").reindex(out.index, fill_value=False).to_numpy()
        dropped_rows = set(out.loc[dup_key, L.SRC_ROW].tolist())
        warnings = [w for w in warnings if w["row"] not in dropped_rows]
        for idx in np.flatnonzero(dup_key & ~identical):
            later = good.loc[good.index > idx]
            later = later[(later[key] == out.loc[idx, key]).all(axis=1)]
            warnings.append({
                "file": rel, "sheet": sheet_name, "row": int(out.at[idx, L.SRC_ROW]), "ledger": ledger.name, "column": ",".join(key),
                "reason": f"同一文件内主键重复且内容不同，以第 {int(later[L.SRC_ROW].iloc[-1])} 行为准",
            })
        rec.dropped_duplicate = int(dup_key.sum())
    final = ~q_mask & ~dup_key
    good = out if final.all() else out[final].reset_index(drop=True)
    rec.quarantined = int(q_mask.sum())
    rec.accepted = len(good)
    rec.warnings = len(warnings)
    clock.lap("duplicates within a file")
    frame = normalize_dtypes(good, ledger)
    clock.lap("typing and validation")
    return ParsedFile(rec, frame, quarantine, warnings)


class Unassigned(Exception):
    """A file no ledger can claim (listed as ignored)."""


_EMPTY: dict[str, pd.DataFrame] = {}


def empty_frame(ledger: L.Ledger) -> pd.DataFrame:
    """A ledger's frame with no rows (every column, with its dtype)."""
    if ledger.name not in _EMPTY:
        cols = [c.name for c in ledger.columns] + [L.SRC_SHEET, L.SRC_ROW]
        _EMPTY[ledger.name] = normalize_dtypes(pd.DataFrame({c: pd.Series(dtype=object) for c in cols}), ledger)
    return _EMPTY[ledger.name].copy()
