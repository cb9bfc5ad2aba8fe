"""Writing the files of a package: ledger workbooks (masked, Chinese headers), pages as HTML and PDF.

Everything written here is a function of its inputs: workbooks carry fixed
document dates (reporting.excel), PDFs carry no dates (WeasyPrint), and the
reports rendered inside a package take their "生成时间" from
``SOURCE_DATE_EPOCH`` (:func:`fixed_time`).
"""

from __future__ import annotations

import html
import math
import os
import re
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from ..ingest.ledgers import LEDGERS, PROVENANCE, SRC_FILE, SRC_ROW
from ..reporting.excel import Workbook, masked

INTERNAL_MARK = "内部资料"


@contextmanager
def fixed_time(when: datetime):
    """Set ``SOURCE_DATE_EPOCH`` to ``when`` (Asia/Shanghai) for the duration: reports rendered inside
    (and the kernels they start) show it as their generation time."""
    old = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(when.replace(tzinfo=ZoneInfo("Asia/Shanghai")).timestamp()))
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = old


def zh_headers(ledger: str) -> dict[str, str]:
    """Canonical column → Chinese header of ``ledger``, provenance columns included."""
    return {c.name: c.zh for c in LEDGERS[ledger].columns} | {SRC_FILE: "来源文件", SRC_ROW: "行号"}


def ledger_sheet(frame: pd.DataFrame, ledger: str, mask: bool = True) -> pd.DataFrame:
    """A ledger frame ready for a workbook: the ledger's columns in contract order, then the extra
    columns, then its source file and row; masked unless ``mask`` is False; Chinese headers."""
    cols = [c.name for c in LEDGERS[ledger].columns if c.name in frame]
    extra = [c for c in frame.columns if c not in cols and c not in PROVENANCE and not c.startswith("_")]
    prov = [c for c in (SRC_FILE, SRC_ROW) if c in frame]
    out = frame[cols + extra + prov].copy()
    if SRC_FILE in out:
        out[SRC_FILE] = out[SRC_FILE].astype(object)
    out = masked(out) if mask else out
    return out.rename(columns=zh_headers(ledger))


def write_workbook(path: Path, sheets: list[tuple[str, pd.DataFrame]], internal: bool = False,
                   percent: dict[str, tuple[str, ...]] | None = None) -> Path:
    """One workbook of formatted sheets (frozen Chinese header row, widths, dates). With ``internal``, a
    first sheet says 内部资料 (unmasked personal data)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook(path, scrub=not internal)  # 内部资料 holds personal data as read, on purpose
    try:
        if internal:
            wb.sheet(INTERNAL_MARK, pd.DataFrame({INTERNAL_MARK: [
                "本文件含未脱敏的个人信息（姓名、身份证号、电话），仅供交接双方指定人员使用，不得外传、复制或用于其他用途（6.2）。"]}),
                widths={INTERNAL_MARK: 100})
        for name, frame in sheets:
            wb.sheet(name, frame, (percent or {}).get(name, ()))
    finally:
        wb.close()
    return path


# ---------------------------------------------------------------- pages

STATUS_CSS = """
td.st-ok { color: #1e7b3c; font-weight: bold; white-space: nowrap; }
td.st-bad { color: #b02020; font-weight: bold; white-space: nowrap; }
td.st-na { color: #777; white-space: nowrap; }
.warning { border: 2px solid #b02020; color: #b02020; padding: 6px 10px; margin: 8px 0; font-weight: bold; }
.summary td { font-size: 10pt; }
"""


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def cell_text(v) -> str:
    """How a value is written in an HTML or Word table: dates without a midnight time, blanks for NaT/NaN,
    control characters dropped (Word's XML refuses them)."""
    if v is None or v is pd.NaT or (isinstance(v, float) and pd.isna(v)):
        return ""
    if isinstance(v, (pd.Timestamp, datetime)):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.strftime("%Y-%m-%d %H:%M")
    if isinstance(v, float) and math.isfinite(v):
        return f"{v:,.2f}".rstrip("0").rstrip(".") if v != int(v) else f"{int(v):,}"
    return _CONTROL.sub("", str(v))


def table_html(frame: pd.DataFrame, status_col: str | None = None, classes: dict[str, str] | None = None) -> str:
    """An escaped HTML table; the cells of ``status_col`` get a class by value (``classes``)."""
    if frame.empty:
        return '<p class="nodata">（无）</p>'
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for r in frame.itertuples(index=False):
        cells = []
        for c, v in zip(frame.columns, r):
            text = cell_text(v)
            cls = f' class="{(classes or {}).get(text, "")}"' if c == status_col else ""
            cells.append(f"<td{cls}>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def write_page(body: str, title: str, html_path: Path | None, pdf_path: Path | None) -> None:
    """A standalone page (title, table of contents from the ``h2`` headings, print CSS) as HTML and/or PDF."""
    from ..reporting.render import page_html, to_pdf

    page = page_html(f"<style>{STATUS_CSS}</style>" + body, title)
    if html_path is not None:
        html_path.parent.mkdir(parents=True, exist_ok=True)
        html_path.write_text(page, encoding="utf-8")
    if pdf_path is not None:
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        to_pdf(page, pdf_path)
