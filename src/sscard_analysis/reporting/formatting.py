"""How reports write numbers, tables and charts (HTML fragments Jupyter displays)."""

from __future__ import annotations

import base64
import html
import io as _io

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

STATUS_ZH = {"met": "达标", "on_pace": "进度正常", "at_risk": "有风险", "missed": "未达标", "not_assessed": "未评估"}
STATUS_CLASS = {"met": "ok", "on_pace": "ok", "at_risk": "warn", "missed": "bad", "not_assessed": "na"}


# ---------------------------------------------------------------- formatting


def fmt_pct(x: float | None, digits: int = 2) -> str:
    """A rate as shown everywhere in reports: ``99.58%``; ``—`` when there is no denominator."""
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def fmt_int(x) -> str:
    return "—" if x is None else f"{int(round(x)):,}"


def fmt_yuan(x) -> str:
    return f"{x:,.2f}"


CELL_CHARS = 200  # text shown in one table cell (WeasyPrint needs seconds per thousand unbroken characters)


def clip(text: str, limit: int = CELL_CHARS) -> str:
    """At most ``limit`` characters of a text shown in a report, ``…`` marking a cut (the Excel keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def html_table(df: pd.DataFrame, right: tuple[str, ...] = (), cls: str = "") -> str:
    """An HTML table with escaped cells, numbers right-aligned, each cell at most :data:`CELL_CHARS` characters."""
    if df.empty:
        return '<p class="nodata">（本期无数据）</p>'
    head = "".join(f"<th>{html.escape(clip(str(c)))}</th>" for c in df.columns)
    rows = []
    for r in df.itertuples(index=False):
        cells = []
        for c, v in zip(df.columns, r):
            align = ' class="num"' if c in right else ""
            cells.append(f"<td{align}>{html.escape(clip('' if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)))}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def figure_html(fig: plt.Figure, alt: str) -> str:
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

