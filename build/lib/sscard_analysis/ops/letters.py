"""Draft letters (函) to the cooperating banks asking them to verify and rectify (表1 #6, #9).

表1 #6 asks the ticket team to "研判社保卡发行相关工单反映的银行业务问题，起草要求银行查核的相关函件";
表1 #9 the outlet team to act on what its inspections and phone checks find.
For a period, each bank with something to act on gets one Word draft in the
usual 函 structure for the office to edit and send:

- 标题 and 主送 (the bank's Guangzhou branch, or the bank itself for the two
  Guangzhou banks);
- 正文: what the period brought, as counts (the count summary), then one
  numbered point per kind of problem, each pointing to its attachment, and
  what is asked of the bank and by when;
- 联系人 line, 落款 (``Settings.letter_sender``) and the date;
- 附件 1–3 on new pages: the tickets to verify (投诉, 求助 and 举报 tickets of
  every channel received in the period that name the bank, 无效/重复/退单
  excluded), the bank's outlets whose latest inspection by the cut-off left a
  finding unrectified, and the period's phone checks of its outlets that were
  not answered or gave a wrong answer.

Nothing personal is printed: tickets are listed by number with their text
scrubbed of ID numbers, phone numbers and the caller's name; inspectors are
not named.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..analysis.scorecard import COMPLAINT_TYPE
from ..dates.periods import Period
from ..ingest.ledgers import BANKS
from ..measures.activity import in_period
from ..measures.hotline import as_at, counted, received
from ..privacy import scrub_series
from ..reporting.context import period_title

VERIFY_TYPES = ("投诉", "求助", "举报")  # ticket types whose facts the bank must verify (咨询, 建议, 表扬 need no answer from it)
REPLY_WORKDAYS = 5  # working days the letter gives the bank to reply (our default; the office edits the draft)
SUMMARY_CHARS = 80  # characters of a ticket's (scrubbed) text shown in the attachment
TITLE_FONT, BODY_FONT, HEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体"


@dataclass
class BankItems:
    """What one letter is about: the bank's tickets to verify, unrectified outlets and failed phone checks."""

    bank: str
    tickets: pd.DataFrame
    outlets: pd.DataFrame
    phone: pd.DataFrame
    counts: dict

    @property
    def empty(self) -> bool:
        return self.tickets.empty and self.outlets.empty and self.phone.empty


def addressee(bank: str) -> str:
    """``中国工商银行广州分行``; the two Guangzhou banks are addressed themselves (``广州农村商业银行``)."""
    full = max((n for n in (bank, *BANKS.get(bank, ())) if n.startswith(("中国", "广州"))), key=len, default=bank)
    return full if full.startswith("广州") else f"{full}广州分行"


def bank_items(outlets: pd.DataFrame, inspections: pd.DataFrame, phone_checks: pd.DataFrame, tickets: pd.DataFrame,
               period: Period) -> dict[str, BankItems]:
    """For each of the 15 banks, the period's items for its letter (pure: ledger frames in).

    ``counts`` holds ``tickets`` (all tickets naming the bank received in the period, excluded
    statuses left out), ``complaints`` (of which 投诉), ``to_verify`` (投诉/求助/举报),
    ``inspections`` (visits to its outlets in the period), ``unrectified_outlets``,
    ``phone_checks``, ``unanswered`` and ``wrong_answer``.
    """
    reg = outlets[["outlet_id", "name", "bank", "district"]]
    t = counted(received(as_at(tickets, period.as_of), period))
    t_bank = t["bank"].astype(object)
    t_type = t["ticket_type"].astype(object)
    seen = inspections[inspections["inspected_on"] <= period.end_dt].sort_values(["inspected_on", "inspection_id"])
    latest = seen.groupby("outlet_id").tail(1)
    open_finding = latest[latest["rectified"] == False].merge(reg, on="outlet_id", how="inner")  # noqa: E712
    visits = in_period(inspections, "inspected_on", period).merge(reg[["outlet_id", "bank"]], on="outlet_id", how="inner")
    pc = in_period(phone_checks, "checked_at", period).merge(reg, on="outlet_id", how="inner")
    failed = pc[(pc["answered"] == False) | ((pc["answered"] == True) & (pc["script_ok"] == False))]  # noqa: E712
    out = {}
    for bank in BANKS:
        bt = t[t_bank == bank]
        verify = bt[t_type[t_bank == bank].isin(VERIFY_TYPES)].sort_values(["received_at", "ticket_id"])
        summary = scrub_series(verify["content"].astype(object), verify["citizen_name"].astype(object) if "citizen_name" in verify else None)
        tk = pd.DataFrame({
            "工单编号": verify["ticket_id"].astype(str).values, "受理日期": verify["received_at"].dt.strftime("%Y-%m-%d").values,
            "来源渠道": verify["channel"].astype(str).values, "诉求类型": verify["ticket_type"].astype(str).values,
            "业务类别": verify["category"].astype(object).fillna("").values, "所属区": verify["district"].astype(object).fillna("").values,
            "诉求摘要（已脱敏）": summary.str.slice(0, SUMMARY_CHARS).values,
        })
        of = open_finding[open_finding["bank"] == bank].sort_values(["inspected_on", "outlet_id"])
        ol = pd.DataFrame({
            "网点编号": of["outlet_id"].astype(str).values, "网点名称": of["name"].astype(str).values,
            "所属区": of["district"].astype(str).values, "检查日期": of["inspected_on"].dt.strftime("%Y-%m-%d").values,
            "发现问题": scrub_series(of["issues"].astype(object)).values,
        })
        fp = failed[failed["bank"] == bank].sort_values(["checked_at", "check_id"])
        ph = pd.DataFrame({
            "网点编号": fp["outlet_id"].astype(str).values, "网点名称": fp["name"].astype(str).values,
            "巡检时间": fp["checked_at"].dt.strftime("%Y-%m-%d %H:%M").values,
            "情况": ["业务口径不正确" if a else "未接通" for a in fp["answered"]],
            "备注": scrub_series(fp["note"].astype(object)).values,
        })
        bp = pc[pc["bank"] == bank]
        counts = {
            "tickets": len(bt), "complaints": int((t_type[t_bank == bank] == COMPLAINT_TYPE).sum()), "to_verify": len(tk),
            "inspections": int((visits["bank"] == bank).sum()), "unrectified_outlets": len(ol), "phone_checks": len(bp),
            "unanswered": int((ph["情况"] == "未接通").sum()), "wrong_answer": int((ph["情况"] == "业务口径不正确").sum()),
        }
        out[bank] = BankItems(bank, tk, ol, ph, counts)
    return out


def letter_name(bank: str, period: Period) -> str:
    """``致工商银行核查函_2024-05.docx``."""
    return f"致{bank}核查函_{period.label}.docx"


def _font(run, east_asian: str, size: float, bold: bool = False) -> None:
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = east_asian
    rpr = run._element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), east_asian)


def _para(doc, text: str, font: str = BODY_FONT, size: float = 16, bold: bool = False, align=None, indent: bool = False,
          space_after: float = 0):
    p = doc.add_paragraph()
    if align is not None:
        p.alignment = align
    fmt = p.paragraph_format
    fmt.line_spacing = Pt(28) if size >= 14 else None
    fmt.space_after = Pt(space_after)
    if indent:
        fmt.first_line_indent = Pt(size * 2)
    _font(p.add_run(text), font, size, bold)
    return p


def _table(doc, frame: pd.DataFrame, widths_cm: list[float]) -> None:
    """A bordered table with a header row, 9 pt text (小五), numbered rows; ``widths_cm`` after the 序号 column."""
    frame = frame.copy()
    frame.insert(0, "序号", [str(i + 1) for i in range(len(frame))])
    table = doc.add_table(rows=1, cols=len(frame.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, head in zip(table.rows[0].cells, frame.columns):
        cell.text = ""
        _font(cell.paragraphs[0].add_run(str(head)), HEADING_FONT, 9)
    for values in frame.itertuples(index=False):
        cells = table.add_row().cells
        for cell, v in zip(cells, values):
            _font(cell.paragraphs[0].add_run("" if v is None or (isinstance(v, float) and pd.isna(v)) else str(v)), BODY_FONT, 9)
    table.autofit = False
    widths = [Cm(w) for w in (0.9, *widths_cm)]
    for col, w in zip(table.columns, widths):  # the grid (LibreOffice reads it) and each cell (Word reads those)
        col.width = w
    for row in table.rows:
        for cell, w in zip(row.cells, widths):
            cell.width = w


def _page_break(doc) -> None:
    doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _short(period: Period) -> str:
    """The period as a letter's title names it: ``2024年5月``, ``服务期``, ``服务期第一季度``, ``2024年5月6日至5月19日``."""
    label = period.label.lower()
    if label == "contract":
        return "服务期"
    if label.startswith("contract-q"):
        return f"服务期第{'一二三四'[int(label[-1]) - 1]}季度"
    if ".." in label:
        return f"{_cn_date(period.start)}至{_cn_date(period.end)}"
    if "-w" in label:
        return f"{_cn_date(period.start)}至{_cn_date(period.end)}"
    return period_title(period)


def _cn_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def write_letter(items: BankItems, period: Period, sender: str, on: date, path: Path) -> Path:
    """Write one bank's draft letter (.docx, A4, 函 layout); returns ``path``."""
    c = items.counts
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.PORTRAIT
    sec.page_width, sec.page_height = Cm(21), Cm(29.7)
    sec.top_margin, sec.bottom_margin, sec.left_margin, sec.right_margin = Cm(3.7), Cm(3.5), Cm(2.8), Cm(2.6)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
    _para(doc, f"关于请核查处理{_short(period)}社会保障卡业务有关问题的函", TITLE_FONT, 22, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=16)
    _para(doc, f"{addressee(items.bank)}：")
    _para(doc, (f"{_cn_date(period.start)}至{_cn_date(min(period.end, period.as_of.date()))}，各渠道受理涉及贵行的社会保障卡工单 {c['tickets']} 件，"
                f"其中投诉 {c['complaints']} 件；对贵行网点开展现场检查 {c['inspections']} 次、咨询电话巡检 {c['phone_checks']} 次。"
                f"经研判，现将需贵行核查处理的问题函告如下："), indent=True)
    n_phone = c["unanswered"] + c["wrong_answer"]
    attachments = {"tickets": (f"需核查的工单清单（{c['to_verify']} 件）", items.tickets, [3.3, 2.1, 1.9, 1.0, 1.5, 1.0, 3.9]),
                   "outlets": (f"现场检查发现问题未整改的网点清单（{c['unrectified_outlets']} 个）", items.outlets, [1.8, 4.6, 1.2, 2.0, 5.1]),
                   "phone": (f"咨询电话巡检问题清单（{n_phone} 次）", items.phone, [1.8, 4.6, 2.9, 2.2, 3.2])}
    shown = [a for a in attachments.values() if len(a[1])]
    number = {k: i + 1 for i, k in enumerate(k for k, a in attachments.items() if len(a[1]))}  # numbered as they appear
    _para(doc, "一、需核查的工单", HEADING_FONT, 16, indent=True)
    _para(doc, (f"投诉、求助、举报类工单 {c['to_verify']} 件反映的问题涉及贵行网点业务办理，请逐件核查事实、处理并说明原因"
                f"（清单见附件{number.get('tickets')}）。" if c["to_verify"] else "本期无需核查的工单。"), indent=True)
    _para(doc, "二、现场检查发现问题尚未整改的网点", HEADING_FONT, 16, indent=True)
    _para(doc, (f"截至{_cn_date(min(period.end, period.as_of.date()))}，贵行 {c['unrectified_outlets']} 个网点最近一次现场检查发现的问题尚未整改，"
                f"请督促整改并反馈整改结果（清单见附件{number.get('outlets')}）。"
                if c["unrectified_outlets"] else "截至本期末，贵行网点无未整改的现场检查问题。"), indent=True)
    _para(doc, "三、咨询电话巡检发现的问题", HEADING_FONT, 16, indent=True)
    _para(doc, (f"本期电话巡检中，贵行网点咨询电话未接通 {c['unanswered']} 次、业务口径不正确 {c['wrong_answer']} 次，"
                f"请核实网点咨询电话的有效性，加强对外咨询服务和业务口径培训（清单见附件{number.get('phone')}）。"
                if n_phone else "本期电话巡检未发现贵行网点咨询电话未接通或口径不正确的情况。"), indent=True)
    _para(doc, (f"请贵行于收函之日起 {REPLY_WORKDAYS} 个工作日内，将上述问题的核查处理及整改情况（含整改措施和完成时间）书面反馈。"), indent=True)
    _para(doc, "特此函告。", indent=True)
    _para(doc, "")
    _para(doc, "联系人：　　　　　　　　联系电话：", indent=True)
    if shown:
        _para(doc, "")
        for i, (title, _, _) in enumerate(shown):
            _para(doc, ("附件：" if i == 0 else "　　　") + f"{i + 1}. {title}", indent=True)
    _para(doc, "")
    _para(doc, sender, align=WD_ALIGN_PARAGRAPH.RIGHT)
    _para(doc, _cn_date(on), align=WD_ALIGN_PARAGRAPH.RIGHT)
    for i, (title, frame, widths) in enumerate(shown):
        _page_break(doc)
        _para(doc, f"附件{i + 1}", HEADING_FONT, 16)
        _para(doc, title, TITLE_FONT, 18, align=WD_ALIGN_PARAGRAPH.CENTER, space_after=8)
        _table(doc, frame, widths)
    doc.core_properties.title = f"致{items.bank}核查函（{period.label}）"
    doc.core_properties.author = sender
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(str(path))
    return path


def write_letters(ds, period: Period, out_dir: Path, on: date | None = None) -> tuple[list[tuple[str, Path, dict]], list[str]]:
    """Write the period's letters for every bank with something to act on.

    Returns ([(bank, path, counts)], [banks with nothing to write about]).
    """
    items = bank_items(ds["outlets"], ds["outlet_inspections"], ds["phone_checks"], ds["tickets"], period)
    on = on or date.today()
    written, nothing = [], []
    for bank, it in items.items():
        if it.empty:
            nothing.append(bank)
            continue
        written.append((bank, write_letter(it, period, ds.settings.letter_sender, on, out_dir / letter_name(bank, period)), it.counts))
    return written, nothing
