"""Charts for the reports: matplotlib with a CJK font, one palette, Chinese titles and units.

:func:`use_cjk_font` registers Noto Sans CJK by file path (matplotlib's font
cache may not see a newly installed font) and makes any missing glyph an
error rather than a box. Text is never read as mathtext (a ``$`` in a
category is a dollar sign), and labels are cut to :data:`LABEL_CHARS`
characters. Every chart function returns a Figure and does no I/O.
"""

from __future__ import annotations

import functools
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import font_manager  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

FONT_FILES = [
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
]
FONT_FAMILY = "Noto Sans CJK SC"
PALETTE = ["#1f5aa6", "#e07b39", "#3a9d5d", "#c23b3b", "#7d5ba6", "#8c6d31", "#d4a017", "#4f8fbf", "#999999", "#2f4f4f", "#b5651d"]
OK, WARN, BAD = "#3a9d5d", "#d4a017", "#c23b3b"
NEUTRAL, REST = "#9a9a9a", "#ececec"
LABEL_CHARS = 30


def _label(text: object) -> str:
    s = str(text)
    return s if len(s) <= LABEL_CHARS else s[: LABEL_CHARS - 1] + "…"


class FontMissingError(RuntimeError):
    """No CJK font is installed (``make demo`` installs fonts-noto-cjk)."""


@functools.cache
def use_cjk_font() -> str:
    """Register the Noto CJK font and set matplotlib's defaults (once per process); returns the font file used.

    Every chart of this module calls it, so a process that never draws (the
    report runner's own) never loads the font.
    """
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
    use_cjk_font()
    fig, ax = plt.subplots(figsize=figsize or matplotlib.rcParams["figure.figsize"], layout="constrained")
    ax.set_title(title, loc="left", fontsize=12, fontweight="bold")
    return fig, ax


def daily_volume(daily: pd.DataFrame, title: str = "工单受理量（按日）", rest_days=()) -> plt.Figure:
    """Stacked bars of tickets received per day (12345热线 and other channels), rest days shaded.

    ``daily`` is indexed by every day of the period (the x-axis runs from its
    first to its last day); ``rest_days`` (weekends and public holidays) are
    shaded grey and named in the legend.
    """
    fig, ax = _fig(title)
    x = pd.to_datetime(pd.Index(daily.index))
    for d in pd.to_datetime(pd.Index(list(rest_days))):
        ax.axvspan(d - pd.Timedelta(hours=12), d + pd.Timedelta(hours=12), color=REST, lw=0, zorder=0)
    bottom = None
    for i, col in enumerate(daily.columns):
        ax.bar(x, daily[col], bottom=bottom, label=col, color=PALETTE[i % len(PALETTE)], width=0.8, zorder=2)
        bottom = daily[col] if bottom is None else bottom + daily[col]
    handles, labels = ax.get_legend_handles_labels()
    if len(rest_days):
        handles.append(Patch(color=REST))
        labels.append("休息日（周末、节假日）")
    if len(x):
        ax.set_xlim(x.min() - pd.Timedelta(hours=14), x.max() + pd.Timedelta(hours=14))
    step = 1 if len(x) <= 14 else 2 if len(x) <= 31 else 7
    ax.xaxis.set_major_locator(mdates.DayLocator(interval=step) if step < 7 else mdates.WeekdayLocator(byweekday=mdates.MO))
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    ax.tick_params(axis="x", labelsize=8, rotation=45)
    ax.set_ylabel("件")
    ax.grid(axis="x", visible=False)
    ax.legend(handles, labels, frameon=False, fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return fig


def monthly_trend(trend: pd.DataFrame, title: str = "12345热线：受理量与按时办结率、满意率（按月）") -> plt.Figure:
    """Bars of monthly hotline volume with on-time and satisfaction rates (%) on a second axis and both targets drawn.

    The 100% line is the on-time target (A1), the 90% line the satisfaction
    threshold (A2: above 90%); each is labelled on the chart.
    """
    fig, ax = _fig(title)
    ax.bar(trend.index, trend["受理量"], color=PALETTE[0], alpha=0.55, label="受理量（件）")
    ax.set_ylabel("件")
    ax2 = ax.twinx()
    ax2.plot(trend.index, trend["按时办结率"] * 100, color=PALETTE[1], marker="o", label="按时办结率（%）")
    ax2.plot(trend.index, trend["满意率"] * 100, color=PALETTE[2], marker="s", label="满意率（%）")
    ax2.axhline(100, color=PALETTE[1], lw=0.9, ls="--", label="按时办结率目标 100%")
    ax2.axhline(90, color=BAD, lw=0.9, ls="--", label="满意率须高于 90%")
    low = float((trend[["按时办结率", "满意率"]] * 100).min().min()) if len(trend) else 90
    ax2.set_ylim(min(85, (low if low == low else 90) - 2), 102)
    for y, text, color in ((100, "目标 100%", PALETTE[1]), (90, "90%", BAD)):
        ax2.annotate(text, xy=(1, y), xycoords=("axes fraction", "data"), xytext=(-2, 2), textcoords="offset points",
                     ha="right", va="bottom", fontsize=7.5, color=color,
                     bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85})
    ax2.set_ylabel("%")
    ax2.grid(False)
    ax2.spines["right"].set_visible(True)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    labels = ax.get_legend_handles_labels()[1] + ax2.get_legend_handles_labels()[1]
    ax.legend(lines, labels, frameon=False, fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3)
    ax.tick_params(axis="x", rotation=45)
    return fig


def ranked_bars(counts: pd.Series, title: str, unit: str = "件", top: int = 12) -> plt.Figure:
    """Horizontal bars in the order given (largest first; a placeholder such as ``（未填）`` grey and last)."""
    s = counts.head(top).iloc[::-1]
    fig, ax = _fig(title, figsize=(8, max(2.2, 0.32 * len(s) + 1)))
    colors = [NEUTRAL if str(k).startswith("（未") else PALETTE[0] for k in s.index]
    labels = pd.Index([_label(v) for v in s.index])
    if labels.has_duplicates:  # two long labels cut to the same text stay two bars
        labels = pd.Index([f"{t}#{i}" if labels.duplicated(keep=False)[i] else t for i, t in enumerate(labels)])
    ax.barh(labels, s.values, color=colors)
    for y, v in enumerate(s.values):
        ax.text(v, y, f" {v:,.0f}", va="center", fontsize=8)
    ax.set_xlabel(unit)
    ax.grid(axis="y", visible=False)
    return fig


STATUS_COLORS = {"达标": "#1e7b3c", "进度正常": OK, "有风险": WARN, "未达标": BAD, "未评估": NEUTRAL}


def quota_progress(rows: pd.DataFrame, title: str = "年度任务进度（服务期累计完成 / 年度目标）") -> plt.Figure:
    """Progress of yearly quotas in % of target, coloured by the status the report states, with the pace marker.

    ``rows`` has 指标, 累计, 目标, 进度目标 and 状态 (达标, 进度正常, 有风险,
    未达标, 未评估). The legend (status colours and the pace marker) sits
    below the chart, never among the bars.
    """
    fig, ax = _fig(title, figsize=(8, max(2.8, 0.3 * len(rows) + 1.6)))
    pct = (rows["累计"] / rows["目标"] * 100).clip(upper=130)
    pace = rows["进度目标"] / rows["目标"] * 100
    y = list(range(len(rows)))
    ax.barh(y, pct, color=[STATUS_COLORS.get(s, NEUTRAL) for s in rows["状态"]], zorder=2)
    ax.scatter(pace, y, marker="|", s=220, linewidths=2, color="black", zorder=3)
    ax.set_yticks(y, [_label(v) for v in rows["指标"]], fontsize=9)
    ax.axvline(100, color="gray", lw=0.8)
    ax.set_xlabel("占年度目标 %")
    ax.grid(axis="y", visible=False)
    ax.invert_yaxis()
    present = [s for s in STATUS_COLORS if s in set(rows["状态"])]
    handles = [Patch(color=STATUS_COLORS[s]) for s in present] + [Line2D([], [], color="black", marker="|", ls="", markersize=12, mew=2)]
    ax.legend(handles, present + ["当前应完成进度"], frameon=False, fontsize=8, ncols=len(handles),
              loc="upper center", bbox_to_anchor=(0.4, -0.12 if len(rows) > 8 else -0.2))
    return fig
