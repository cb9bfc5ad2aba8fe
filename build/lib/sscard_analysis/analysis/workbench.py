"""The analysts' workbench behind ``notebooks/explore/``: one slice of the data, views that follow its filters.

A :class:`Workbench` holds the data folder, a period and filters (channel,
district, bank, category, ticket type). Each notebook section calls
``wb.show("view", …)``: the view is computed by the functions of this layer
and displayed; in JupyterLab (``interactive=True``) a bar of filters
(ipywidgets) sits on top and every view shown is recomputed in place when a
filter changes, tables are sortable (itables). Headless (papermill,
``interactive=False``) the same calls display plain tables and PNG charts,
so every notebook runs top to bottom. :meth:`Workbench.export` writes the
current slice to an Excel file with personal data masked.

Personal data never reaches a view: ticket text is scrubbed, names, ID and
phone numbers masked, callers are pseudonyms (:mod:`.repeats`).
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import matplotlib
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure

from ..config import PROJ_ROOT
from ..dates.calendar import calendar_for
from ..dates.periods import parse_period
from ..ingest.ledgers import BANK, CATEGORY, CHANNEL, DISTRICT, HOTLINE, LEDGERS, TICKET_TYPE, mask_frame
from ..ingest.reader import load
from ..measures.hotline import prepare_tickets
from . import anomalies, backlog, drivers, rankings, topics, trends
from . import repeats as repeat_calls
from .slices import FILTERS, UNFILLED, group_key, labelled, previous_period, select

COLUMNS = ["ticket_id", "channel", "received_at", "ticket_type", "status", "due_at", "closed_at", "satisfaction", "appeal",
           "category", "district", "bank", "handler", "content", "citizen_name", "id_number", "phone"]
WIDGET_FILTERS = (CHANNEL, DISTRICT, BANK, CATEGORY, TICKET_TYPE)
_FONTS = [Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"), Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
          Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc")]
_ZH = {c.name: c.zh for c in LEDGERS["tickets"].columns}


def _font() -> dict:
    for path in _FONTS:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return {"font.family": "sans-serif", "font.sans-serif": ["Noto Sans CJK SC", "DejaVu Sans"], "axes.unicode_minus": False}
    return {}


def _png(fig: Figure):
    from IPython.display import Image

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return Image(data=buf.getvalue(), format="png")


def _dt(values: pd.Series) -> pd.Series:
    """Timestamps, also for an empty column of no particular type."""
    return pd.to_datetime(values)


def _pct(df: pd.DataFrame, cols: list[str], digits: int = 2) -> pd.DataFrame:
    out = df.copy()
    for c in cols:
        out[c] = out[c].map(lambda v: "—" if pd.isna(v) else f"{v * 100:.{digits}f}%")
    return out


class Workbench:
    """One slice of one data folder for exploration.

    Parameters
    ----------
    data_dir : the data folder (relative paths are tried from the working
        directory, then from the project root, so a notebook in
        ``notebooks/explore/`` finds ``data/sample``).
    period : any period label (``2024-07``, ``2024-W29``, ``contract`` …).
    as_of : cut-off (default: the end of the period or now).
    interactive : show ipywidgets filters and itables tables (JupyterLab);
        False renders plain output (papermill, nbconvert).
    filters : ``channel``, ``district``, ``bank``, ``category``,
        ``ticket_type``: a value, a list, or empty for all.
    """

    def __init__(self, data_dir: str | Path, period: str, as_of: str | None = None, interactive: bool = True, **filters) -> None:
        path = Path(data_dir)
        if not path.is_absolute() and not path.exists():
            path = PROJ_ROOT / path
        matplotlib.rcParams.update(_font())
        self.ds = load(path)
        self.settings = self.ds.settings
        self.cal = calendar_for(self.settings)
        self.tickets = prepare_tickets(self.ds["tickets"], self.settings, self.cal, COLUMNS)
        self.as_of = as_of or None
        self.interactive = interactive
        self.filters: dict = {}
        self._views: list[tuple[str, dict, list]] = []
        self._key: bytes | None = None
        self._itables_ready = False
        self.set(period=period, **filters)

    # ------------------------------------------------------------ the slice

    def set(self, period: str | None = None, **filters) -> None:
        """Change the period and/or filters (an empty value removes a filter); shown views are recomputed."""
        if period is not None:
            self.period = parse_period(period, self.settings, self.as_of)
            self.previous = previous_period(self.period)
        for k, v in filters.items():
            if k not in FILTERS:
                raise ValueError(f"无法按“{k}”筛选；可用：{'、'.join(FILTERS)}")
            if v in (None, "", [], ()):
                self.filters.pop(k, None)
            else:
                self.filters[k] = v
        self.refresh()

    def describe(self) -> str:
        """The slice in words: period, cut-off and filters."""
        f = "；".join(f"{FILTERS[k]}：{v if isinstance(v, str) else '、'.join(v)}" for k, v in self.filters.items()) or "全部工单"
        prev = f"，对比期间 {self.previous.start}至{self.previous.end}" if self.previous else ""
        return f"期间 {self.period.start}至{self.period.end}（统计时点 {self.period.as_of:%Y-%m-%d %H:%M}{prev}）；{f}"

    def slice(self) -> pd.DataFrame:
        """The tickets received in the period matching the filters, masked (names, ID, phone, text) and with Chinese headers."""
        rec = select(self.tickets, self.period, **self.filters)
        raw = self.ds["tickets"].set_index("ticket_id").loc[rec["ticket_id"]].reset_index()
        raw = raw.assign(due_at=rec["due_at"].to_numpy())
        masked = mask_frame(raw)
        keep = [c for c in COLUMNS if c in masked]
        return masked[keep].rename(columns=_ZH)

    def key(self) -> bytes:
        """The deployment's key for caller pseudonyms (``data/interim/citizen_key`` or ``$SSCARD_CITIZEN_KEY_FILE``)."""
        if self._key is None:
            self._key = repeat_calls.deployment_key()
        return self._key

    # ------------------------------------------------------------ display

    def controls(self):
        """Filter widgets (interactive) or the slice in one line (headless)."""
        from IPython.display import HTML, display

        if not self.interactive:
            display(HTML(f"<p><strong>当前切片</strong>：{self.describe()}</p>"))
            return
        import ipywidgets as w

        def options(col):
            values = sorted(v for v in labelled(self.tickets[col]).unique() if v != UNFILLED)
            return [("全部", "")] + [(v, v) for v in values] + [(UNFILLED, UNFILLED)]

        period = w.Text(value=self.period.label, description="期间", continuous_update=False)
        drops = {col: w.Dropdown(options=options(col), value=self.filters.get(col, "") if isinstance(self.filters.get(col, ""), str) else "",
                                 description=FILTERS[col]) for col in WIDGET_FILTERS}
        status = w.HTML(self.describe())

        def changed(_):
            try:
                self.set(period=period.value, **{c: d.value for c, d in drops.items()})
                status.value = self.describe()
            except ValueError as exc:
                status.value = f"<span style='color:#c23b3b'>{exc}</span>"

        period.observe(changed, names="value")
        for d in drops.values():
            d.observe(changed, names="value")
        button = w.Button(description="导出当前切片（脱敏Excel）", layout=w.Layout(width="auto"))
        button.on_click(lambda _: setattr(status, "value", f"已导出：{self.export()}"))
        display(w.VBox([w.HBox([period, *list(drops.values())[:2]]), w.HBox(list(drops.values())[2:] + [button]), status]))

    def show(self, view: str, **kwargs) -> None:
        """Display a view (a method of this class) and recompute it whenever the slice changes."""
        from IPython.display import display

        parts = self._render(view, kwargs)
        handles = [display(p, display_id=True) for p in parts]
        self._views.append((view, kwargs, handles))

    def refresh(self) -> None:
        """Recompute every view shown so far (after a filter change)."""
        for view, kwargs, handles in self._views:
            parts = self._render(view, kwargs)
            for h, p in zip(handles, parts):
                h.update(p)

    def _render(self, view: str, kwargs: dict) -> list:
        from IPython.display import HTML

        if view.startswith("_") or not callable(getattr(self, view, None)):
            raise ValueError(f"没有名为“{view}”的视图")
        out = getattr(self, view)(**kwargs)
        parts = list(out) if isinstance(out, tuple) else [out]
        return [self._table(p) if isinstance(p, pd.DataFrame) else _png(p) if isinstance(p, Figure)
                else HTML(f"<p>{p}</p>") if isinstance(p, str) else p for p in parts]

    def _table(self, df: pd.DataFrame):
        from IPython.display import HTML

        if df.empty:
            return HTML('<p class="nodata">（无数据）</p>')
        if self.interactive:
            import itables

            if not self._itables_ready:  # the DataTables library, embedded once (works offline)
                itables.init_notebook_mode(all_interactive=False, connected=False)
                self._itables_ready = True
            return HTML(itables.to_html_datatable(df, connected=False, display_logo_when_loading=False, maxBytes=0))
        return HTML(df.to_html(index=False, na_rep="", escape=True))

    def export(self, path: str | Path | None = None) -> Path:
        """Write the current slice to a masked Excel file (default ``reports/explore/工单切片_<period>_<time>.xlsx``)."""
        if path in (None, ""):
            path = PROJ_ROOT / "reports" / "explore" / f"工单切片_{self.period.label.replace('..', '_')}_{datetime.now():%Y%m%d%H%M%S}.xlsx"
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        data = self.slice()
        for c in data.columns:
            if data[c].dtype == object or pd.api.types.is_string_dtype(data[c]):
                # OWASP: a cell starting with = + - @ (or a tab/CR/LF) is never read as a formula
                data[c] = data[c].map(lambda v: "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r", "\n") else v)
        about = pd.DataFrame({"项目": ["切片", "导出时间", "工单数", "说明"],
                              "内容": [self.describe(), f"{datetime.now():%Y-%m-%d %H:%M}", len(data),
                                     "姓名、证件号码、电话已脱敏；诉求内容中的证件号码、电话和诉求人姓名已遮盖。"]})
        with pd.ExcelWriter(path, engine="xlsxwriter", engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False}}) as xw:
            about.to_excel(xw, sheet_name="筛选条件", index=False)
            data.to_excel(xw, sheet_name="工单（已脱敏）", index=False)
        return path

    # ------------------------------------------------------------ views: trends

    def volume(self, freq: str = "day", by: str | None = None, top: int = 8, table: bool = False):
        """Tickets received per day/week/month, overall or by one attribute (the largest ``top`` groups); ``table`` adds the figures."""
        c = trends.counts(self.tickets, self.period, freq, by, self.filters)
        fig = Figure(figsize=(9, 3.4))
        ax = fig.subplots()
        if by is None:
            ax.plot(c["bucket"], c["tickets"], marker="o", ms=3)
            figures = c.rename(columns={"bucket": "日期", "tickets": "工单量"})
        else:
            wide = c.pivot(index="bucket", columns=by, values="tickets").fillna(0)
            order = wide.sum().sort_values(ascending=False)
            keep = list(order.index[:top])
            for g in keep:
                ax.plot(wide.index, wide[g], marker="o", ms=2, label=g)
            if len(order) > top:
                ax.plot(wide.index, wide.drop(columns=keep).sum(axis=1), ls="--", label="其他")
            ax.legend(ncol=4, fontsize=8, frameon=False)
            figures = wide.reset_index().rename(columns={"bucket": "日期"})
        ax.set_title(f"受理量（按{trends.FREQS[freq]}{'，' + FILTERS.get(by, by) if by else ''}）")
        ax.set_ylabel("件")
        fig.autofmt_xdate()
        if not table:
            return fig
        figures["日期"] = pd.to_datetime(figures["日期"]).dt.strftime("%Y-%m-%d")
        return fig, figures

    def rates(self, by: str | None = None, freq: str | None = None, hotline: bool = True) -> pd.DataFrame:
        """On-time and satisfaction rates with 95% intervals (12345热线 by default), by attribute and/or per bucket."""
        f = {**self.filters, CHANNEL: HOTLINE} if hotline and not self.filters.get(CHANNEL) else self.filters
        r = trends.rates(self.tickets, self.period, by, freq, self.settings.basic_satisfied_counts, f)
        if "bucket" in r:
            r["bucket"] = _dt(r["bucket"]).dt.strftime("%Y-%m-%d")
        r = _pct(r, ["on_time_rate", "on_time_low", "on_time_high", "satisfaction_rate", "satisfaction_low", "satisfaction_high"])
        return r.rename(columns={"bucket": "日期", **({by: FILTERS.get(by, by)} if by else {}), "received": "受理", "due": "到期",
                                 "on_time": "按时办结", "rated": "参评", "satisfied": "满意",
                                 "on_time_rate": "按时办结率", "on_time_low": "下限", "on_time_high": "上限",
                                 "satisfaction_rate": "满意率", "satisfaction_low": "满意率下限", "satisfaction_high": "满意率上限"})

    def baseline(self, category: str | None = None):
        """Daily volume against its working-day baseline; anomalous days in red (all categories, or one)."""
        b = anomalies.scan(self.tickets, self.period, self.cal, filters=self.filters)
        group = category or anomalies.TOTAL
        g = b[(b["group"] == group) & b["in_period"].astype(bool)]
        if g.empty:
            return "（本期切片没有工单）"
        fig = Figure(figsize=(9, 3.4))
        ax = fig.subplots()
        ax.bar(g["date"], g["observed"], color="#9bb7d4", label="受理量")
        ax.plot(g["date"], g["expected"], color="#1f5aa6", label="常态（同类日中位数）")
        hot = g[g["anomalous"].astype(bool)]
        ax.scatter(hot["date"], hot["observed"], color="#c23b3b", zorder=3, label="异常")
        ax.set_title(f"逐日受理量与常态：{group}")
        ax.legend(fontsize=8, frameon=False)
        fig.autofmt_xdate()
        return fig

    # ------------------------------------------------------------ views: incidents

    def incidents(self) -> pd.DataFrame:
        """Incidents (runs of anomalous days) touching the period, with their drivers."""
        inc = anomalies.incidents(self.tickets, self.period, self.cal, filters=self.filters)
        return inc.drop(columns=["drivers"]).rename(columns={
            "incident": "序号", "start": "开始", "end": "结束", "days": "天数", "categories": "业务类别（超出件数）", "tickets": "工单量",
            "expected": "常态", "excess": "超出", "ratio": "倍数", "peak_date": "峰值日", "peak_tickets": "峰值量", "peak_z": "峰值Z",
            "terms": "关键词", "banks": "涉及银行", "example": "典型诉求（已脱敏）"}).round(2)

    def anomalous_days(self) -> pd.DataFrame:
        """Every anomalous (day, category) cell of the period, largest z first."""
        b = anomalies.scan(self.tickets, self.period, self.cal, filters=self.filters)
        b = b[b["anomalous"].astype(bool) & b["in_period"].astype(bool)].sort_values("z", ascending=False)
        b["date"] = _dt(b["date"]).dt.strftime("%Y-%m-%d")
        return b.drop(columns=["anomalous", "in_period"]).rename(columns={
            "date": "日期", "group": "业务类别", "observed": "受理量", "day_type": "日类型", "expected": "常态", "scale": "尺度",
            "residual": "超出", "z": "稳健Z值"}).round(2)

    # ------------------------------------------------------------ views: topics

    def hot_topics(self, top: int = 10) -> pd.DataFrame:
        """热点诉求: categories by volume with share, change, satisfaction, terms and a typical case."""
        h = topics.hot_topics(self.tickets, self.period, self.previous, top, self.settings.basic_satisfied_counts, self.filters)
        h = _pct(h, ["share", "satisfaction_rate", "satisfaction_low", "satisfaction_high"], 1)
        return h.rename(columns={"topic": "业务类别", "tickets": "件数", "share": "占比", "previous": "上期", "change": "变化",
                                 "change_p": "变化p值", "rated": "参评", "satisfaction_rate": "满意率", "satisfaction_low": "下限",
                                 "satisfaction_high": "上限", "terms": "关键词", "example": "典型诉求（已脱敏）"}).round(4)

    def emerging(self, weeks: bool = True, top: int = 20) -> pd.DataFrame:
        """Emerging terms: the period's last week against the week before (``weeks``), or the period against the previous one."""
        if weeks:
            last = min(self.period.end, self.period.as_of.date())
            cur = parse_period(f"{last - pd.Timedelta(days=6):%Y-%m-%d}..{last:%Y-%m-%d}", self.settings, self.period.as_of)
            prev = previous_period(cur)
        else:
            cur, prev = self.period, self.previous
        if prev is None:
            return pd.DataFrame()
        e = topics.emerging_terms(self.tickets, cur, prev, top, filters=self.filters)
        return e.rename(columns={"term": "词", "tickets": f"本期（{cur.start}起）", "previous": "上期", "expected": "按总量预期",
                                 "lift": "上升倍数", "p_value": "p值", "categories": "主要业务类别", "example": "示例（已脱敏）"}).round(4)

    def terms(self, by: str = CATEGORY, top: int = 8) -> pd.DataFrame:
        """The most distinctive terms of each group against the other groups, with one typical ticket."""
        rec = select(self.tickets, self.period, **self.filters)
        words = topics.ticket_terms(rec)
        groups = group_key(rec, by)
        rows = []
        for g in groups.value_counts().index:
            mine = (groups == g).to_numpy()
            d = topics.distinctive_terms(words[mine], words[~mine], top=top, min_tickets=2)
            rows.append({FILTERS.get(by, by): g, "工单量": int(mine.sum()), "关键词": "、".join(d["term"]),
                         "典型诉求（已脱敏）": next(iter(topics.typical_examples(rec[mine], 1, words)), "")})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------ views: repeat callers

    def repeats(self, window_days: int = repeat_calls.DEFAULT_WINDOW_DAYS, by: str | None = CHANNEL):
        """Raw and de-duplicated counts (overall and by ``by``): the same caller, category and matter within ``window_days``."""
        e = repeat_calls.repeat_episodes(self.tickets, self.period, self.key(), window_days, filters=self.filters)
        names = {"raw": "受理量", "deduplicated": "去重后", "repeats": "重复件", "repeat_callers": "重复来电人",
                 "cross_channel": "跨渠道事项", "no_key": "无证件无手机"}
        total = repeat_calls.repeat_summary(e).rename(columns=names)
        if by is None:
            return total
        return total, repeat_calls.repeat_summary(e, by).rename(columns={**names, by: FILTERS.get(by, by)})

    def repeat_groups(self, window_days: int = repeat_calls.DEFAULT_WINDOW_DAYS) -> pd.DataFrame:
        """The matters raised more than once, by pseudonymous caller (no ID or phone)."""
        e = repeat_calls.repeat_episodes(self.tickets, self.period, self.key(), window_days, filters=self.filters)
        g = repeat_calls.repeat_groups(e)
        for c in ("first_received", "last_received"):
            g[c] = _dt(g[c]).dt.strftime("%Y-%m-%d %H:%M")
        return g.rename(columns={"caller": "来电人（化名）", CATEGORY: "业务类别", "tickets": "工单数", "channels": "渠道",
                                 "first_received": "首次受理", "last_received": "最后受理", "span_days": "间隔天数",
                                 "ticket_ids": "工单编号"}).round(1)

    # ------------------------------------------------------------ views: satisfaction

    def dissatisfaction(self, by: str = CATEGORY):
        """不满意 and 申诉 by one dimension with Wilson intervals, and the chi-square p-value across its groups."""
        d, p = drivers.dissatisfaction(self.tickets, self.period, by, self.settings.basic_satisfied_counts, self.filters)
        note = f"{drivers.DIMENSIONS.get(by, by)}：卡方检验 p = {p:.4f}（{'各组差异显著' if p < 0.05 else '各组差异不显著'}）" if p is not None else "组数不足，无法检验"
        d = _pct(d, ["rate", "low", "high", "upheld_rate"])
        return note, d.rename(columns={"group": drivers.DIMENSIONS.get(by, by), "rated": "参评", "dissatisfied": "计入不满意",
                                       "dissatisfied_raw": "不满意", "rate": "不满意率", "low": "下限", "high": "上限",
                                       "appeals_filed": "申诉", "appeals_upheld": "申诉成功", "upheld_rate": "申诉成功率", "flag": "与总体比较"})

    def dimension_tests(self) -> pd.DataFrame:
        """Each dimension's chi-square test and the groups whose dissatisfaction is clearly above the overall rate."""
        t = drivers.dimension_tests(self.tickets, self.period, self.settings.basic_satisfied_counts, self.filters)
        return t.drop(columns=["dimension"]).rename(columns={"name": "维度", "groups": "组数", "p_value": "p值", "significant": "显著",
                                                             "above_overall": "明显高于总体的组"}).round(4)

    def reasons(self, top: int = 10):
        """Terms over-represented in 不满意 tickets, and two typical ones (masked)."""
        terms, examples = drivers.reasons(self.tickets, self.period, top, self.settings.basic_satisfied_counts, self.filters)
        table = terms[["term", "tickets", "share", "reference_share", "lift"]].rename(columns={
            "term": "词", "tickets": "不满意工单数", "share": "不满意中占比", "reference_share": "满意中占比", "lift": "倍数"}).round(3)
        return table, "典型不满意工单：" + ("；".join(examples) if examples else "无")

    # ------------------------------------------------------------ views: outlets and banks

    def ranking(self, by: str = "district") -> pd.DataFrame:
        """Units by every metric: value, 95% interval and rank (``（未填）`` last, unranked)."""
        m = rankings.unit_metrics(self.ds, self.tickets, self.period, by, self.settings.basic_satisfied_counts)
        m = m.assign(value=m["value"].round(4), low=m["low"].round(4), high=m["high"].round(4), line=m["line"].round(4))
        return m.rename(columns={"unit": rankings.UNIT_NAMES[by], "metric": "指标键", "name": "指标", "k": "分子", "n": "分母", "value": "数值",
                                 "low": "下限", "high": "上限", "rank": "名次", "line": "线", "below_line": "低于线", "clearly_below": "区间整体低于线"})

    def below_line(self, by: str = "district") -> pd.DataFrame:
        """The units below the line per metric (the ones a bulletin names)."""
        b = rankings.below_line(rankings.unit_metrics(self.ds, self.tickets, self.period, by, self.settings.basic_satisfied_counts))
        return b[["name", "unit", "value", "low", "high", "line", "rank", "clearly_below"]].rename(columns={
            "name": "指标", "unit": rankings.UNIT_NAMES[by], "value": "数值", "low": "下限", "high": "上限", "line": "线", "rank": "名次",
            "clearly_below": "区间整体低于线"}).round(4)

    def unrectified(self) -> pd.DataFrame:
        """Outlets whose latest inspection found problems not rectified by the cut-off."""
        u = backlog.unrectified_outlets(self.ds, self.period.as_of)
        u["inspected_on"] = _dt(u["inspected_on"]).dt.strftime("%Y-%m-%d")
        return u.rename(columns={"outlet_id": "网点编号", "bank": "银行", "district": "所属区", "inspected_on": "最近检查", "issues": "发现问题"})

    def late(self) -> pd.DataFrame:
        """Late 12345 tickets (overdue open, closed late) with how late."""
        f = {**self.filters, CHANNEL: self.filters.get(CHANNEL) or HOTLINE}
        late = backlog.late_tickets(self.tickets, self.period, self.cal, f)
        for c in ("received_at", "due_at", "closed_at"):
            late[c] = _dt(late[c]).dt.strftime("%m-%d %H:%M")
        return late.rename(columns={"ticket_id": "工单编号", "state": "状态", "channel": "渠道", "ticket_type": "类型", "category": "业务类别",
                                    "district": "所属区", "bank": "银行", "received_at": "受理", "due_at": "时限", "closed_at": "办结",
                                    "late_days": "超时天数", "late_workdays": "超时工作日", "handler": "经办人", "summary": "摘要（已脱敏）"})

    def tickets_table(self, limit: int = 500) -> pd.DataFrame:
        """The slice's tickets, masked (the first ``limit``)."""
        return self.slice().head(limit)

