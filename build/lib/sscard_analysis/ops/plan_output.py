"""The inspection plan's files: the schedule workbook and the check forms (检查表), 表1 #9.

- ``网点检查计划_<start>.xlsx``: the coverage statement, visits per week and
  person, the day-by-day schedule, the queue in priority order with each
  outlet's planned day, and the outlets that did not fit.
- ``网点检查表_<start>.xlsx``: one printable A4 form per planned visit, one
  sheet per inspector (in visiting order, a page break after each form),
  with the outlet, why it is on the plan, its last inspection (date, item
  scores, finding, rectified) and blank fields for this visit.

The forms are Excel rather than Word: the results go back into the
网点现场检查记录 ledger, an Excel file with the same five items; one workbook
holds a month of forms and each inspector prints their own sheet; and it is
written in a second with the xlsxwriter the package already uses, where
hundreds of Word pages through python-docx take far longer.
Names are masked, free text scrubbed, every text cell written as text.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import xlsxwriter

from ..analysis.scorecard import SCORE_ITEMS
from ..privacy import mask_person, scrub_text
from ..reporting.excel import Workbook, safe_text
from .planner import Plan, summary_lines, week_label

WEEKDAYS = "一二三四五六日"
# What the inspector looks at under each item (表1 #9: 网点环境、业务管理、安全管理、业务规范、网点工作人员业务掌握情况).
ITEM_POINTS = {
    "score_environment": "环境整洁；宣传资料与服务指引摆放；标识标牌",
    "score_management": "业务登记与台账；叫号与等候；即时制卡设备与耗材",
    "score_security": "安全制度上墙；制卡设备与密码保管；个人信息保护",
    "score_conduct": "一次性告知；办理流程与时限；服务态度",
    "score_knowledge": "申领、补换、挂失、金融功能激活等业务口径",
}


def schedule_name(plan: Plan) -> str:
    return f"网点检查计划_{plan.start}.xlsx"


def forms_name(plan: Plan) -> str:
    return f"网点检查表_{plan.start}.xlsx"


def _shown(plan: Plan, until: date) -> pd.DataFrame:
    v = plan.visits
    return v[pd.to_datetime(v["date"]) <= pd.Timestamp(until)] if len(v) else v


def weekly_table(plan: Plan, until: date) -> pd.DataFrame:
    """Visits per ISO week (rows) and inspector (columns), with the week's dates and total."""
    v = _shown(plan, until)
    if v.empty:
        return pd.DataFrame(columns=["周次", "日期", "合计"])
    v = v.assign(周次=[week_label(d) for d in v["date"]])
    table = pd.crosstab(v["周次"], v["inspector"])
    span = v.groupby("周次")["date"].agg(["min", "max"])
    table.insert(0, "日期", [f"{a:%m-%d}—{b:%m-%d}" for a, b in zip(span["min"], span["max"])])
    table["合计"] = table.drop(columns=["日期"]).sum(axis=1)
    return table.reset_index()


def _last_date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s).dt.strftime("%Y-%m-%d").fillna("无记录")


def write_schedule(plan: Plan, path: Path, until: date | None = None) -> Path:
    """Write the schedule workbook (visits up to ``until``, default the service end); returns ``path``."""
    until = until or plan.end
    path.parent.mkdir(parents=True, exist_ok=True)
    v = _shown(plan, until)
    detail = pd.DataFrame({
        "周次": [week_label(d) for d in v["date"]], "日期": pd.to_datetime(v["date"]),
        "星期": [f"星期{WEEKDAYS[d.weekday()]}" for d in v["date"]], "检查人员": v["inspector"], "所属区": v["district"],
        "顺序": v["seq"], "网点编号": v["outlet_id"], "网点名称": v["name"], "银行": v["bank"], "地址": v["address"],
        "检查类型": v["kind"], "安排理由": v["reason"], "上次检查日期": _last_date(v["last_inspected"]),
    })
    q = plan.queue
    queue = pd.DataFrame({
        "优先顺序": q["priority"] + 1, "网点编号": q["outlet_id"], "网点名称": q["name"], "银行": q["bank"], "所属区": q["district"],
        "检查类型": q["kind"], "安排理由": q["reason"], "上次检查日期": _last_date(q["last_inspected"]),
        "计划日期": pd.to_datetime(q["planned_on"]),
    })
    summary = pd.DataFrame({"计划概况": summary_lines(plan)
                            + ([f"本表排班列至 {until}（共 {len(v):,} 次走访）"] if until < plan.end else [])})
    wb = Workbook(path)
    wb.sheet("概况", summary, widths={"计划概况": 120})
    wb.sheet("按周按人", weekly_table(plan, until))
    wb.sheet("排班明细", detail, widths={"安排理由": 50, "地址": 30})
    wb.sheet("待检查网点", queue, widths={"安排理由": 50})
    if len(plan.unplanned):
        wb.sheet("未能排入", queue[q["planned_on"].isna().to_numpy()])
    wb.close()
    return path


def _score(v) -> str:
    return "" if v is None or pd.isna(v) else f"{v:.0f}"


def write_check_forms(plan: Plan, path: Path, until: date | None = None) -> Path:
    """Write one printable check form per planned visit up to ``until``, one sheet per inspector; returns ``path``."""
    until = until or plan.end
    path.parent.mkdir(parents=True, exist_ok=True)
    v = _shown(plan, until).sort_values(["staff_id", "date", "seq"])
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    book.set_properties({"title": path.stem})
    f = _Formats(book)
    index = book.add_worksheet("目录")
    index.set_column(0, 0, 12)
    index.set_column(1, 1, 18)
    index.set_column(2, 3, 14)
    for j, h in enumerate(["工作表（工号）", "检查人员", "检查表（份）", "日期"]):
        index.write_string(0, j, h, f.head)
    for r, (sid, g) in enumerate(v.groupby("staff_id", sort=True), start=1):
        index.write_string(r, 0, str(sid))
        index.write_string(r, 1, safe_text(str(g["inspector"].iloc[0])))
        index.write_number(r, 2, len(g))
        index.write_string(r, 3, f"{min(g['date'])} 至 {max(g['date'])}")
        ws = book.add_worksheet(str(sid)[:31])
        _form_sheet(ws, f, g)
    book.close()
    return path


class _Formats:
    def __init__(self, book: xlsxwriter.Workbook) -> None:
        base = {"border": 1, "valign": "vcenter", "text_wrap": True, "font_size": 10}
        self.title = book.add_format({"bold": True, "font_size": 15, "align": "center", "valign": "vcenter"})
        self.meta = book.add_format({"font_size": 10, "valign": "vcenter"})
        self.label = book.add_format({**base, "bold": True, "bg_color": "#F2F2F2"})
        self.cell = book.add_format(base)
        self.center = book.add_format({**base, "align": "center"})
        self.section = book.add_format({**base, "bold": True, "bg_color": "#DDE6F3"})
        self.head = book.add_format({**base, "bold": True, "bg_color": "#DDE6F3", "align": "center"})


def _form_sheet(ws, f: _Formats, visits: pd.DataFrame) -> None:
    for c, w in enumerate([14, 16, 13, 16, 13, 16]):
        ws.set_column(c, c, w)
    ws.set_paper(9)  # A4
    ws.set_portrait()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
    ws.hide_gridlines(2)
    breaks, r = [], 0
    n_day = visits.groupby("date")["seq"].transform("max")
    for (_, x), of in zip(visits.iterrows(), n_day):
        r = _form(ws, f, x, int(of), r)
        breaks.append(r)
        r += 1
    ws.set_h_pagebreaks(breaks[:-1][:1000])
    ws.print_area(0, 0, max(r - 1, 0), 5)


def _text(v) -> str:
    return "" if v is None or (isinstance(v, float) and pd.isna(v)) or v is pd.NA else safe_text(str(v))


def _form(ws, f: _Formats, x: pd.Series, of: int, r: int) -> int:
    """Write one form from row ``r``; returns the row after it."""
    d = x["date"]
    ws.set_row(r, 30)
    ws.merge_range(r, 0, r, 5, "广州市社会保障卡合作银行网点现场检查表", f.title)
    r += 1
    ws.merge_range(r, 0, r, 5, _text(f"计划日期：{d}（星期{WEEKDAYS[d.weekday()]}）　检查人员：{x['inspector']}　"
                                      f"当日顺序：{x['seq']}/{of}（{x['district']}区）"), f.meta)
    r += 1
    ws.write_string(r, 0, "网点编号", f.label)
    ws.write_string(r, 1, _text(x["outlet_id"]), f.cell)
    ws.write_string(r, 2, "网点名称", f.label)
    ws.merge_range(r, 3, r, 5, _text(x["name"]), f.cell)
    r += 1
    instant = x.get("instant_issuance")
    for c, (label, value) in enumerate((("所属银行", x["bank"]), ("所属区", x["district"]),
                                        ("即时制卡", "" if instant is None or pd.isna(instant) else ("是" if instant else "否")))):
        ws.write_string(r, 2 * c, label, f.label)
        ws.write_string(r, 2 * c + 1, _text(value), f.cell)
    r += 1
    ws.write_string(r, 0, "地址", f.label)
    ws.merge_range(r, 1, r, 5, _text(x["address"]), f.cell)
    r += 1
    ws.set_row(r, 30)
    ws.write_string(r, 0, "检查类型", f.label)
    ws.write_string(r, 1, _text(x["kind"]), f.cell)
    ws.write_string(r, 2, "安排理由", f.label)
    ws.merge_range(r, 3, r, 5, _text(x["reason"]), f.cell)
    r += 1
    ws.merge_range(r, 0, r, 5, "一、上次检查情况", f.section)
    r += 1
    last = x["last_inspected"]
    rect = x["last_rectified"]
    ws.write_string(r, 0, "上次检查日期", f.label)
    ws.write_string(r, 1, "无检查记录" if pd.isna(last) else f"{last:%Y-%m-%d}", f.cell)
    ws.write_string(r, 2, "上次检查人", f.label)
    ws.write_string(r, 3, _text(mask_person(x["last_inspector"])), f.cell)
    ws.write_string(r, 4, "是否整改", f.label)
    ws.write_string(r, 5, "—" if rect is None or pd.isna(rect) else ("是" if rect else "否"), f.center)
    r += 1
    ws.set_row(r, 30)
    ws.write_string(r, 0, "上次发现问题", f.label)
    issue = scrub_text(x["last_issues"]) if not pd.isna(x["last_issues"]) else ""
    ws.merge_range(r, 1, r, 5, _text(issue) or ("—" if pd.isna(last) else "无"), f.cell)
    r += 1
    ws.merge_range(r, 0, r, 5, "二、本次检查（各项 0–100 分）", f.section)
    r += 1
    ws.write_string(r, 0, "检查项目", f.head)
    ws.merge_range(r, 1, r, 2, "检查要点", f.head)
    ws.write_string(r, 3, "上次得分", f.head)
    ws.write_string(r, 4, "本次得分", f.head)
    ws.write_string(r, 5, "本次发现问题", f.head)
    r += 1
    for col, label in SCORE_ITEMS.items():
        ws.set_row(r, 40)
        ws.write_string(r, 0, label, f.label)
        ws.merge_range(r, 1, r, 2, ITEM_POINTS[col], f.cell)
        ws.write_string(r, 3, _score(x[f"last_{col}"]), f.center)
        ws.write_blank(r, 4, None, f.cell)
        ws.write_blank(r, 5, None, f.cell)
        r += 1
    open_finding = rect is not None and not pd.isna(rect) and not rect
    for label, height, value in (("本次发现问题", 110, ""), ("整改要求及期限", 70, ""),
                                 ("上次问题整改核查", 26, "□ 已整改　　□ 未整改" if open_finding else "不适用（上次无未整改问题）")):
        ws.set_row(r, height)
        ws.write_string(r, 0, label, f.label)
        ws.merge_range(r, 1, r, 5, value, f.cell)
        r += 1
    ws.set_row(r, 45)
    for c, label in enumerate(("网点负责人签字", "检查人员签字", "检查日期")):
        ws.write_string(r, 2 * c, label, f.label)
        ws.write_string(r, 2 * c + 1, "　　年　　月　　日" if c == 2 else "", f.cell)
    return r + 1
