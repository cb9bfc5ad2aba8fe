"""Charts for the reports: matplotlib with a CJK font, one palette, Chinese titles and units.

:func:`use_cjk_font` registers Noto Sans CJK by file path (matplotlib's font
cache may not see a newly installed font) and makes any missing glyph an
error rather than a box. Text is never read as mathtext (a ``$`` in a
category is a dollar sign), and labels are cut to :data:`LABEL_CHARS`
characters. Every chart function returns a Figure and does no I/O.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402

FONT_FILES = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
]
FONT_FAMILY = "Noto Sans CJK SC"
PALETTE = ["#1f5aa6", "#e07b39", "#3a9d5d", "#c23b3b", "#7d5ba6", "#8c6d31", "#d4a017", "#4f8fbf", "#999999", "#2f4f4f", "#b5651d"]
OK, WARN, BAD = "#3a9d5d", "#d4a017", "#c23b3b"
LABEL_CHARS = 30


def _label(text: object) -> str:
    s = str(text)
    return s if len(s) <= LABEL_CHARS else s[: LABEL_CHARS - 1] + "…"


class FontMissingError(RuntimeError):
    """No CJK font is installed (``make demo`` installs fonts-noto-cjk)."""


def use_cjk_font() -> str:
    """Register the Noto CJK font and set matplotlib's defaults; returns the font file used."""
    for path in FONT_FILES:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            matplotlib.rcParams.update({
                "font.family": "sans-serif",
                "font.sans-serif": [FONT_FAMILY, "DejaVu Sans"],
                "axes.unicode_minus": False,
                "text.parse_math": False,  # labels come from the data: "$" is a dollar sign, not mathtext
                "axes.prop_cycle": matplotlib.cycler(color=PALETTE),
                "axes.spines.top": False,
                "axes.spines.right": False,
                "axes.grid": True,
                "grid.alpha": 0.3,
                "figure.dpi": 110,
                "savefig.dpi": 150,
                "figure.figsize": (8, 3.6),
            })
            warnings.filterwarnings("error", message=".*Glyph .* missing from font", category=UserWarning)
            return str(path)
    raise FontMissingError("未找到中文字体 Noto Sans CJK（Debian: apt-get install fonts-noto-cjk；make demo 会安装）")


def _fig(title: str, figsize=None):
    fig, ax = plt.subplots(figsize=figsize or matplotlib.rcParams["figure.figsize"], layout="constrained")
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    return fig, ax


def daily_volume(daily: pd.DataFrame, title: str = "工单受理量（按日）") -> plt.Figure:
    """Stacked bars of tickets received per day: 12345热线 and other channels."""
    fig, ax = _fig(title)
    x = pd.to_datetime(daily.index)
    bottom = None
    for i, col in enumerate(daily.columns):
        ax.bar(x, daily[col], bottom=bottom, label=col, color=PALETTE[i % len(PALETTE)], width=0.8)
        bottom = daily[col] if bottom is None else bottom + daily[col]
    ax.set_ylabel("件")
    ax.legend(frameon=False, fontsize=8, ncols=2)
    fig.autofmt_xdate()
    return fig


def monthly_trend(trend: pd.DataFrame, title: str = "12345热线：受理量与按时办结率、满意率（按月）") -> plt.Figure:
    """Bars of monthly hotline volume with on-time and satisfaction rates (%) on a second axis."""
    fig, ax = _fig(title)
    ax.bar(trend.index, trend["受理量"], color=PALETTE[0], alpha=0.8, label="受理量（件）")
    ax.set_ylabel("件")
    ax2 = ax.twinx()
    ax2.plot(trend.index, trend["按时办结率"] * 100, color=PALETTE[1], marker="o", label="按时办结率（%）")
    ax2.plot(trend.index, trend["满意率"] * 100, color=PALETTE[2], marker="s", label="满意率（%）")
    ax2.axhline(90, color=BAD, lw=0.8, ls="--")
    ax2.set_ylim(min(80, float((trend[["按时办结率", "满意率"]] * 100).min().min()) - 2) if len(trend) else 80, 101)
    ax2.set_ylabel("%")
    ax2.grid(False)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
    ax.tick_params(axis="x", rotation=45)
    return fig


def ranked_bars(counts: pd.Series, title: str, unit: str = "件", top: int = 12) -> plt.Figure:
    """Horizontal bars, largest first (channel, category, district, bank)."""
    s = counts.sort_values(ascending=True).tail(top)
    fig, ax = _fig(title, figsize=(8, max(2.2, 0.32 * len(s) + 1)))
    labels = pd.Index([_label(v) for v in s.index])
    if labels.has_duplicates:  # two long labels cut to the same text stay two bars
        labels = pd.Index([f"{t}#{i}" if labels.duplicated(keep=False)[i] else t for i, t in enumerate(labels)])
    ax.barh(labels, s.values, color=PALETTE[0])
    for y, v in enumerate(s.values):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlabel(unit)
    ax.grid(axis="y", visible=False)
    return fig


def quota_progress(rows: pd.DataFrame, title: str = "年度任务进度（累计完成 / 年度目标）") -> plt.Figure:
    """Progress of yearly quotas in % of target, with the pace line for today."""
    fig, ax = _fig(title, figsize=(8, max(2.5, 0.34 * len(rows) + 1)))
    pct = (rows["累计"] / rows["目标"] * 100).clip(upper=130)
    pace = rows["进度目标"] / rows["目标"] * 100
    colors = [OK if p >= q else (WARN if p >= 0.9 * q else BAD) for p, q in zip(pct, pace)]
    y = range(len(rows))
    ax.barh(list(y), pct, color=colors)
    ax.scatter(pace, list(y), marker="|", s=300, color="black", label="当前应完成进度")
    ax.set_yticks(list(y), [_label(v) for v in rows["指标"]])
    ax.axvline(100, color="gray", lw=0.8)
    ax.set_xlabel("占年度目标 %")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.invert_yaxis()
    return fig
