"""The form of the reports, from small inline cases: titles, numbering, tables that fit A4, placeholder rows last,
penalty counts, charts, Excel number formats and the Word document."""

import base64
import io
import re
import subprocess
from datetime import date
from types import SimpleNamespace

import matplotlib
import openpyxl
import pandas as pd
import pytest
from _frames import dataset
from _pages import page_boxes
from docx import Document
from docx.oxml.ns import qn

from sscard_analysis.config import Settings
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.reporting import charts
from sscard_analysis.reporting.context import ReportContext, context_for
from sscard_analysis.reporting.excel import Workbook
from sscard_analysis.reporting.formatting import unfilled_last
from sscard_analysis.reporting.render import page_html, to_pdf, zh_numeral
from sscard_analysis.reporting.report import breakdown, breakdown_frame, headline, indicators_table, penalty_summary
from sscard_analysis.reporting.word import column_widths, write_docx

S = Settings()  # service 2024-03-01 .. 2025-02-28


# ---------------------------------------------------------------- titles and headings


def test_weekly_title_nests_no_brackets():
    p = parse_period("2024-W19", S)
    ctx = ReportContext("weekly", None, p, {}, None, None, None, None)
    # one pair of brackets around the period, the week's days after a comma
    assert ctx.title == "广州市社会保障卡服务项目周报（2024年第19周，5月6日—5月12日）"
    assert ctx.title.count("（") == 1


def test_dates_never_break_inside():
    page = page_html("<p>统计期间 2024年5月6日至5月12日，第19周</p>", "t")
    assert '<span class="d">2024年5月6日</span>至<span class="d">5月12日</span>' in page
    assert ".d { white-space: nowrap; }" in page


@pytest.mark.parametrize("n, text", [(1, "一"), (9, "九"), (10, "十"), (11, "十一"), (12, "十二"), (20, "二十"), (21, "二十一")])
def test_section_numerals(n, text):
    assert zh_numeral(n) == text


def test_headings_numbered_as_the_office_numbers_them():
    body = ('<div class="cover"><h1>月报</h1><table class="notice"><tr><th>期号</th><td>第5期</td></tr></table></div>'
            '<h2 class="unnumbered">综述</h2><p>x</p>'
            "<h2>一、合同服务指标</h2><h3>按来源渠道</h3><h3>按诉求类型</h3><h4>明细</h4><h2>办文</h2><h3>超时</h3>")
    page = page_html(body, "t")
    heads = re.findall(r"<h([234])[^>]*>(.*?)</h\1>", page)
    # the written 一、 is replaced, 综述 stays unnumbered, （一） restarts in each section
    assert heads == [("2", "综述"), ("2", "一、合同服务指标"), ("3", "（一）按来源渠道"), ("3", "（二）按诉求类型"), ("4", "1. 明细"),
                     ("2", "二、办文"), ("3", "（一）超时")]
    toc = re.search(r'<nav class="toc">.*?</nav>', page).group(0)
    assert re.findall(r'<a href="#([^"]+)">([^<]+)</a>', toc) == [("sec-1", "一、合同服务指标"), ("sec-2", "二、办文")]
    assert page.index("</table></div><nav") > 0  # right after the cover block
    assert "target-counter(attr(href), page)" in page


def test_toc_entries_carry_the_page_of_their_section(tmp_path):
    body = ('<div class="cover"><h1>报告</h1></div><h2>甲节</h2><p>甲</p>'
            '<div style="break-before: page"></div><h2>乙节</h2><p>乙</p>'
            '<div style="break-before: page"></div><p>过渡</p><div style="break-before: page"></div><h2>丙节</h2>')
    to_pdf(page_html(body, "t"), tmp_path / "t.pdf")
    first = subprocess.run(["pdftotext", "-layout", "-f", "1", "-l", "1", str(tmp_path / "t.pdf"), "-"],
                           capture_output=True, text=True, check=True).stdout
    # 甲 on page 1 (with the cover), 乙 on page 2, 丙 after the transition page on page 4
    found = dict(re.findall(r"([一二三]、\S+节)\s*\.+\s*(\d+)", first))  # two columns: entries may share a line
    assert found == {"一、甲节": "1", "二、乙节": "2", "三、丙节": "4"}


# ---------------------------------------------------------------- tables fit the A4 text block


def _overflow(page: str) -> list[tuple[int, str, float]]:
    """(page, element, points past the right edge of the text block) of every box that sticks out."""
    out = []
    for i, box, inner in page_boxes(page):
        right = box.content_box_x() + box.width
        out += [(i, b.element_tag, b.position_x + b.margin_width() - right) for b in inner
                if b.position_x + b.margin_width() > right + 0.5]
    return out


def _wide_indicators() -> dict:
    """The 21 indicators with their real names, large counts and long notes: a known-wide indicator table."""
    from sscard_analysis.contract.indicators import NAMES

    out = {}
    for code, name in NAMES.items():
        out[code] = {"name": name, "clause": "表1 #9", "value": 234_567, "period_value": 23_456, "target": 250_000, "status": "at_risk",
                     "pace_target": 162_876.7, "projected": 252_646, "p_meet_target": 0.42, "reach_date": "2026-07-22",
                     "reason": "21个工作日中2天不足2次；" * 4}
    out["A8"] |= {"value": 1_262_600, "target": 1_500_000, "pace_target": 1_062_876.7, "projected": 1_562_646}
    out["A1"] |= {"value": 0.99642, "target": 1.0}
    out["A10"] |= {"value": 2, "target": 0, "working_days": 21}
    return out


def test_known_wide_indicator_table_fits_the_text_block():
    ctx = SimpleNamespace(kpis={"indicators": _wide_indicators()})
    page = page_html(str(indicators_table(ctx)), "t")
    assert _overflow(page) == []
    # A10 states what it counts, never "2 / 目标 0"
    assert "不足2次的工作日：2 天" in page and "每个工作日≥2次" in page


def test_the_overflow_check_catches_a_table_wider_than_the_page():
    row = "".join(f'<td class="nw">{"工单编号GZ20240701" * 2}</td>' for _ in range(8))
    page = page_html(f"<table><tr>{row}</tr></table>", "t")
    assert _overflow(page)  # eight unbreakable 32-character cells cannot fit 178 mm


# ---------------------------------------------------------------- placeholder rows and counts


def _ticket(i: int, bank=None, channel="12345热线", day: int = 6) -> dict:
    return {"ticket_id": f"T{i}", "channel": channel, "received_at": f"2024-05-{day:02d} 10:00", "ticket_type": "咨询",
            "closed_at": f"2024-05-{day:02d} 11:00", "bank": bank, "category": "补换"}


@pytest.fixture(scope="module")
def small_ctx():
    # five tickets without a bank, three for 工商银行, one for 农业银行 (by 银行专线); one April ticket for 工商银行
    rows = [_ticket(i) for i in range(5)] + [_ticket(10 + i, "工商银行") for i in range(3)] + [_ticket(20, "农业银行", "银行专线")]
    rows.append({**_ticket(30, "工商银行"), "received_at": "2024-04-10 10:00", "closed_at": "2024-04-10 11:00"})
    complaints = [{"complaint_id": f"C{i}", "received_on": d, "complainant": "持卡人", "valid": True}
                  for i, d in enumerate(["2024-04-15", "2024-05-08", "2024-05-20"])]
    charts.use_cjk_font()
    return context_for("monthly", dataset(S, tickets=rows, complaints=complaints), "2024-05")


def test_unfilled_is_last_even_when_largest(small_ctx):
    df = breakdown_frame(small_ctx, "bank", "涉及银行")
    # （未填） has 5 of 9 tickets but comes after the real banks, which keep their order (3, then 1)
    assert list(df["涉及银行"]) == ["工商银行", "农业银行", "（未填）"]
    assert list(df["全部渠道"]) == [3, 1, 5]
    assert df["占比"].iloc[-1] == pytest.approx(5 / 9)
    assert df["上期"].iloc[0] == 1 and df["环比"].iloc[0] == pytest.approx(2.0)  # 3 against April's 1: +200%
    cells = re.findall(r"<tr><td[^>]*>([^<]*)</td>", str(breakdown(small_ctx, "bank", "涉及银行")))
    assert cells == ["工商银行", "农业银行", "（未填）"]


def test_unfilled_last_keeps_other_rows_in_order():
    df = pd.DataFrame({"所属区": ["（未登记网点）", "天河", "（未填）", "白云"], "n": [9, 5, 7, 3]})
    assert list(unfilled_last(df, "所属区")["所属区"]) == ["天河", "白云", "（未登记网点）", "（未填）"]


def test_channel_table_has_no_hotline_column(small_ctx):
    html = str(breakdown(small_ctx, "channel", "来源渠道"))
    heads = re.findall(r"<th[^>]*>([^<]*)</th>", html)
    assert heads == ["来源渠道", "全部渠道", "占比", "上期", "环比"]
    assert ">12345热线</td>" in html and ">银行专线</td>" in html


def test_penalty_summary_labels_what_it_counts():
    items = [  # B6: two people's months, one with 2 errors; B11: one document stage 3 days late
        {"rule": "B6", "clause": "3.4(2)", "basis": "张* 2024-05 抽检差错 2 笔 × 10 元", "amount_yuan": 20.0, "date": "2024-05-31"},
        {"rule": "B6", "clause": "3.4(2)", "basis": "李* 2024-05 抽检差错 1 笔 × 10 元", "amount_yuan": 10.0, "date": "2024-05-31"},
        {"rule": "B11", "clause": "3.7(1)", "basis": "办文 D1 超时 3 个工作日", "amount_yuan": 300.0, "date": "2024-05-20"},
    ]
    df = penalty_summary(items)
    assert df.to_dict("records") == [
        {"规则": "B6", "条款": "3.4(2)", "事项": "抽检差错", "扣款条目": "2 人·月", "计量": "差错 3 笔", "金额（元）": 30.0},
        {"规则": "B11", "条款": "3.7(1)", "事项": "办文超时", "扣款条目": "1 件·环节", "计量": "超时 3 天", "金额（元）": 300.0},
    ]


def test_headline_shows_the_previous_periods_deductions(small_ctx):
    # B5: 300 per valid cardholder complaint; April has one, May two
    assert small_ctx.kpis["penalties"]["total_yuan"] == 600.0
    assert small_ctx.previous_kpis["penalties"]["total_yuan"] == 300.0
    row = re.search(r"<tr><td>本期违约金（元）</td>(.*?)</tr>", str(headline(small_ctx))).group(1)
    assert re.findall(r">([^<]*)</td>", row) == ["600.00", "300.00", "+300.00（+100.0%）"]


# ---------------------------------------------------------------- charts


def test_quota_chart_colours_by_status_with_a_legend_below():
    charts.use_cjk_font()
    rows = pd.DataFrame({"指标": ["A4 内部培训", "A5 外部培训", "A9 工单分析报告"], "累计": [50, 30, 0], "目标": [100, 150, 4],
                         "进度目标": [40, 60, 1], "状态": ["进度正常", "有风险", "未达标"]})
    fig = charts.quota_progress(rows)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_width() > 0]
    assert [matplotlib.colors.to_hex(b.get_facecolor()) for b in bars] == [charts.STATUS_COLORS["进度正常"], charts.STATUS_COLORS["有风险"]]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["进度正常", "有风险", "未达标", "当前应完成进度"]
    fig.canvas.draw()
    assert legend.get_window_extent().y1 < ax.get_window_extent().y0  # under the axes, never among the bars
    matplotlib.pyplot.close(fig)


def test_daily_volume_ends_at_the_period_end_and_shades_rest_days():
    charts.use_cjk_font()
    days = pd.date_range("2024-05-06", "2024-05-12").date
    daily = pd.DataFrame({"12345热线": [5, 6, 7, 8, 9, 0, 0], "其他渠道": [1] * 7}, index=days)
    fig = charts.daily_volume(daily, rest_days=[date(2024, 5, 12)])  # 5-11 is a working Saturday (调休)
    ax = fig.axes[0]
    lo, hi = matplotlib.dates.num2date(ax.get_xlim()[0]), matplotlib.dates.num2date(ax.get_xlim()[1])
    assert lo.date() == date(2024, 5, 5) and hi.date() == date(2024, 5, 12)  # half a day either side of the week
    shaded = [p for p in ax.patches if matplotlib.colors.to_hex(p.get_facecolor()) == charts.REST]
    assert len(shaded) == 1
    assert "休息日（周末、节假日）" in [t.get_text() for t in ax.get_legend().get_texts()]
    matplotlib.pyplot.close(fig)


def test_monthly_trend_labels_both_targets():
    charts.use_cjk_font()
    trend = pd.DataFrame({"受理量": [100, 120], "按时办结率": [0.99, 1.0], "满意率": [0.95, 0.93]}, index=["2024-03", "2024-04"])
    fig = charts.monthly_trend(trend)
    ax2 = fig.axes[1]
    levels = sorted(line.get_ydata()[0] for line in ax2.get_lines() if len(set(line.get_ydata())) == 1)
    assert levels == [90, 100]
    assert {"目标 100%", "90%"} <= {t.get_text() for t in ax2.texts}
    assert ax2.get_ylim()[1] > 100  # the 100% line is inside the axes
    matplotlib.pyplot.close(fig)


# ---------------------------------------------------------------- Excel


def test_excel_rates_are_percent_and_counts_integers(tmp_path):
    path = tmp_path / "t.xlsx"
    wb = Workbook(path)
    frame = pd.DataFrame({"指标": ["按时办结率", "受理工单"], "本期": [0.99642, 9403.0], "日期": pd.to_datetime(["2024-05-31", None]),
                          "上期": [1.0, 2.0]})
    wb.sheet("主要指标", frame, kinds={"本期": ["pct", "int"]})
    wb.close()
    ws = openpyxl.load_workbook(path)["主要指标"]
    assert (ws["B2"].value, ws["B2"].number_format) == (pytest.approx(0.99642), "0.00%")  # shows 99.64%, not 1.00
    assert (ws["B3"].value, ws["B3"].number_format) == (9403, "#,##0")
    assert ws["C2"].is_date and ws["C2"].number_format == "yyyy-mm-dd"
    assert ws["D2"].number_format == "#,##0"  # a float column of whole numbers is a count


# ---------------------------------------------------------------- Word


def test_column_widths_fit_and_keep_short_columns_whole():
    header = ["编号", "指标", "状态", "说明"]
    body = [["A10", "服务指引检查（每工作日≥2次）", "进度正常", "21 个工作日中 2 天不足 2 次；" * 3]] * 3
    w = column_widths(header, body, 160, pt=9)
    assert sum(w) == pytest.approx(160, abs=0.01)
    # 进度正常 (4 characters of 9 pt = 12.7 mm plus 2.4 mm margins) is never squeezed below its width
    assert w[2] >= 4 * 9 * 0.3528 + 2.4


def test_word_document_has_a4_fonts_numbered_headings_tables_and_page_numbers(tmp_path):
    fig = matplotlib.pyplot.figure(figsize=(2, 1))
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    matplotlib.pyplot.close(fig)
    img = base64.b64encode(buf.getvalue()).decode()
    body = ('<div class="cover"><h1>广州市社会保障卡服务项目月报</h1><p class="subtitle">2024年5月</p>'
            '<table class="notice"><tr><th>期　　号</th><td>第3期</td></tr></table></div>'
            '<h2 class="unnumbered">综述</h2><table><thead><tr><th>指标</th><th>本期</th></tr></thead>'
            '<tbody><tr><td>按时办结率</td><td class="num">99.64%</td></tr></tbody></table>'
            f'<h2>办文</h2><h3>超时</h3><p>本期超时 <strong>2</strong> 件。</p><figure><img src="data:image/png;base64,{img}"/></figure>')
    out = tmp_path / "t.docx"
    write_docx(page_html(body, "t"), out, title="月报")
    doc = Document(str(out))
    sec = doc.sections[0]
    assert (round(sec.page_width.mm), round(sec.page_height.mm)) == (210, 297)
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "仿宋"
    assert doc.styles["Heading 1"].element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "黑体"
    heads = [(p.style.name, p.text) for p in doc.paragraphs if p.style.name.startswith("Heading")]
    assert heads == [("Heading 1", "综述"), ("Heading 1", "一、办文"), ("Heading 2", "（一）超时")]
    assert [[c.text for c in r.cells] for r in doc.tables[1].rows] == [["指标", "本期"], ["按时办结率", "99.64%"]]
    assert doc.tables[1].rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None  # the header repeats on every page
    assert len(doc.inline_shapes) == 1
    footer = sec.footer.paragraphs[0]._p.xml
    assert "PAGE" in footer and "fldChar" in footer
    assert "TOC \\o" in doc.element.body.xml  # the table of contents is a Word field
    font_table = next(p for p in doc.part.package.iter_parts() if str(p.partname) == "/word/fontTable.xml").blob.decode()
    assert 'w:name="仿宋"><w:altName w:val="Noto Serif CJK SC"/>' in font_table
