"""How reports write numbers, tables and charts (HTML fragments Jupyter displays)."""

from __future__ import annotations

import base64
import html
import io as _io

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

STATUS_ZH = {"met": "达标", "on_pace": "进度正常", "at_risk": "有风险", "missed": "未达标", "not_assessed": "未评估"}
STATUS_CLASS = {"met": "ok", "on_pace": "ok", "at_risk": "warn", "missed": "bad", "not_assessed": "na"}


# ---------------------------------------------------------------- formatting


def fmt_pct(x: float | None, digits: int = 2) -> str:
    """A rate as shown everywhere in reports: ``99.58%``; ``—`` when there is no denominator."""
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def fmt_int(x) -> str:
    return "—" if x is None else f"{int(round(x)):,}"


def fmt_yuan(x) -> str:
    return "—" if x is None else f"{x:,.2f}"


UNFILLED = "（未填）"


def unfilled_last(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """The rows whose ``column`` is a placeholder (``（未填）``, ``（未分类）``, ``（未登记网点）`` …) moved last, order kept otherwise."""
    if df.empty:
        return df
    placeholder = df[column].astype(str).str.match(r"^（未")
    return pd.concat([df[~placeholder], df[placeholder]])


def _display_width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


SHORT = 12  # display width (a Chinese character counts 2) of a value kept on one line
KEEP_ROWS = 12  # tables up to this many rows are not split across pages


CELL_CHARS = 200  # text shown in one table cell (WeasyPrint needs seconds per thousand unbroken characters)


def clip(text: str, limit: int = CELL_CHARS) -> str:
    """At most ``limit`` characters of a text shown in a report, ``…`` marking a cut (the Excel keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def html_table(df: pd.DataFrame, right: tuple[str, ...] = (), cls: str = "") -> str:
    """An HTML table with escaped cells, numbers right-aligned, each cell at most :data:`CELL_CHARS` characters.

    Columns whose values are all short (codes, dates, times, counts) and
    headers of up to four Chinese characters never wrap (class ``nw``); a
    table of up to ``KEEP_ROWS`` rows is kept on one page (class ``keep``).
    """
    if df.empty:
        return '<p class="nodata">（本期无数据）</p>'

    def text(v) -> str:
        return clip("" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v))

    cells = {c: [text(v) for v in df[c]] for c in df.columns}
    short = {c for c in df.columns if max((_display_width(t) for t in cells[c]), default=0) <= SHORT}
    nw = ' class="nw"'
    head = "".join(f"<th{nw if _display_width(str(c)) <= 8 else ''}>{html.escape(clip(str(c)))}</th>" for c in df.columns)
    rows = []
    for i in range(len(df)):
        tds = []
        for c in df.columns:
            classes = " ".join(k for k, on in (("num", c in right), ("nw", c in short)) if on)
            attr = f' class="{classes}"' if classes else ""
            tds.append(f"<td{attr}>{html.escape(cells[c][i])}</td>")
        rows.append("<tr>" + "".join(tds) + "</tr>")
    classes = " ".join(x for x in (cls, "keep" if len(df) <= KEEP_ROWS else "") if x)
    return f'<table class="{classes}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def figure_html(fig: Figure, alt: str) -> str:
    import matplotlib.pyplot as plt  # only where a chart is drawn

    buf = _io.BytesIO()
    fig.savefig(buf, format="png")
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<figure><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/></figure>'


class Fragment(str):
    """An HTML fragment that Jupyter displays as HTML."""

    def _repr_html_(self) -> str:
        return str(self)


def fragment(*parts: str) -> Fragment:
    return Fragment("\n".join(parts))





def kpi_value(k: dict, dotted: str):
    """The value at a dotted key of the KPI object (None when absent)."""
    v = k
    for part in dotted.split("."):
        if not isinstance(v, dict) or part not in v:
            return None
        v = v[part]
    return v


def format_kpi(value, how: str) -> str:
    """How a headline KPI is written in reports (tests compare against ``sscard kpi --json`` this way)."""
    return fmt_pct(value) if how == "pct" else fmt_yuan(value) if how == "yuan" else fmt_int(value)

