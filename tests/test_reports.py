"""Each report notebook through papermill on a small sample, checked as the user gets it."""

import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest
from _pages import page_boxes
from docx import Document

from sscard_analysis.ingest.reader import load
from sscard_analysis.contract.kpi import compute_kpis
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.privacy import id_check_digit
from sscard_analysis.cli import main
from sscard_analysis.reporting.render import FORMATS, ReportError, check_parameters, notebook_path, run_report
from sscard_analysis.reporting.formatting import format_kpi, kpi_value
from sscard_analysis.reporting.report import HEADLINE
from sscard_analysis.ingest.sample import write_sample

REPORTS = [("weekly", "2024-W18"), ("monthly", "2024-05"), ("quarterly", "contract-Q1"), ("annual", "contract")]
INJECTED_ID = "44010619850315" + "123"
INJECTED_ID += id_check_digit(INJECTED_ID)
INJECTED_PHONE = "13900001111"


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    root = tmp_path_factory.mktemp("reports")
    data = root / "data"
    write_sample(data, seed=3, tickets_per_month=150)
    # a ticket whose text would run as a formula, and carries personal data inside the text
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "来源渠道", "受理时间", "诉求类型", "办结时间", "诉求内容", "诉求人", "身份证号", "联系电话"])
    ws.append(["INJ-1", "12345热线", "2024-05-08 10:00", "投诉", "2024-05-09 10:00",
               f"=HYPERLINK(\"http://x\") 本人身份证{INJECTED_ID} 电话{INJECTED_PHONE}", "欧阳娜娜", INJECTED_ID, INJECTED_PHONE])
    ws["F2"].data_type = "s"  # typed text, not a formula (openpyxl would otherwise store a formula)
    wb.save(data / "工单台账_补录.xlsx")
    out = root / "out"
    results = {kind: run_report(kind, period, data, out) for kind, period in REPORTS}
    return data, out, results


def _files(results, kind, ext):
    return next(f for f in results[kind].files if f.suffix == f".{ext}")


@pytest.mark.parametrize("kind, period", REPORTS)
def test_headline_numbers_equal_kpi_json(rendered, kind, period):
    data, out, results = rendered
    page = _files(results, kind, "html").read_text(encoding="utf-8")
    ds = load(data)
    k = compute_kpis(ds, parse_period(period, ds.settings))
    shown = dict(re.findall(r'data-key="([^"]+)">([^<]*)<', page))
    assert shown, "no headline figures in the HTML"
    for key, _, how in HEADLINE:
        assert shown[key] == format_kpi(kpi_value(k, key), how), key
    assert "<script" not in page and "require.js" not in page
    assert "sscard_analysis" not in page  # code cells are hidden


@pytest.mark.parametrize("kind, heading", [("weekly", "问题与建议"), ("monthly", "工单受理与办理"), ("quarterly", "热点诉求"), ("annual", "违约金")])
def test_pdf_has_embedded_cjk_font_and_chinese_text(rendered, kind, heading):
    _, _, results = rendered
    pdf = _files(results, kind, "pdf")
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto-Sans-CJK\S*\s.*\byes\b", fonts), fonts
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "广州市社会保障卡服务项目" in text and heading in text


def test_excel_kpi_sheet_matches(rendered):
    data, _, results = rendered
    wb = openpyxl.load_workbook(_files(results, "monthly", "xlsx"), read_only=True)
    rows = list(wb["主要指标"].iter_rows(values_only=True))
    assert rows[0] == ("指标", "本期", "上期", "变化", "指标键")  # Chinese names first, the key last
    ds = load(data)
    k = compute_kpis(ds, parse_period("2024-05", ds.settings))
    values = {r[4]: r[1] for r in rows[1:]}
    for key, label, _ in HEADLINE:
        assert values[key] == pytest.approx(kpi_value(k, key)), key
    assert [r[1] for r in rows[1:]] == pytest.approx([kpi_value(k, key) for key, _, _ in HEADLINE])
    assert [r[0] for r in rows[1:]] == [label for _, label, _ in HEADLINE]
    assert [r[0] for r in wb["合同指标"].iter_rows(min_row=2, values_only=True)] == [f"A{i}" for i in range(1, 22)]


def test_excel_rates_are_percentages_counts_integers_dates_dates(rendered):
    _, _, results = rendered
    wb = openpyxl.load_workbook(_files(results, "monthly", "xlsx"))
    ws = wb["主要指标"]
    fmt = {ws.cell(r, 5).value: (ws.cell(r, 2).number_format, ws.cell(r, 3).number_format) for r in range(2, ws.max_row + 1)}
    for key, _, how in HEADLINE:
        assert fmt[key] == ({"pct": ("0.00%",) * 2, "int": ("#,##0",) * 2, "yuan": ("#,##0.00",) * 2}[how]), key
    ind = wb["合同指标"]
    head = [c.value for c in ind[1]]
    value, due = head.index("完成（累计）") + 1, head.index("预计达成日") + 1
    formats = {ind.cell(r, 1).value: ind.cell(r, value).number_format for r in range(2, ind.max_row + 1)}
    assert formats["A1"] == formats["A2"] == "0.00%" and formats["A4"] == formats["A10"] == "#,##0"
    assert any(ind.cell(r, due).is_date for r in range(2, ind.max_row + 1))
    assert all(ind.cell(r, head.index("说明") + 1).value is not None for r in range(2, ind.max_row + 1))
    pen = wb["违约金"]
    assert pen.max_row > 1 and all(pen.cell(r, 5).is_date for r in range(2, pen.max_row + 1))
    quarantine = wb["隔离明细"]
    ledgers = {quarantine.cell(r, 4).value for r in range(2, quarantine.max_row + 1)}
    assert ledgers and all(re.search(r"[\u4e00-\u9fff]", n) for n in ledgers), ledgers
    assert not any(re.search(r"\([a-z_]+\)", str(quarantine.cell(r, 5).value)) for r in range(2, quarantine.max_row + 1))
    for sheet, first in (("业务类别分布", "业务类别"), ("所属区分布", "所属区"), ("涉及银行分布", "涉及银行")):
        ws = wb[sheet]
        assert [c.value for c in ws[1]][:3] == [first, "全部渠道", "12345热线"]
        assert ws.cell(2, 2).number_format == "#,##0" and ws.cell(2, 4).number_format == "0.00%"


def test_formula_text_is_stored_as_text(rendered):
    _, _, results = rendered
    wb = openpyxl.load_workbook(_files(results, "monthly", "xlsx"))
    ws = wb["工单明细"]
    header = [c.value for c in ws[1]]
    col = header.index("诉求内容（已脱敏）") + 1
    idcol = header.index("工单编号") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, idcol).value == "INJ-1")
    cell = ws.cell(row, col)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")  # a string cell: shown as typed, never run
    assert ws.cell(row, header.index("诉求人") + 1).value == "欧阳**"


def _docx_text(path: Path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join(parts)


def _all_text(path: Path) -> str:
    if path.suffix == ".docx":
        return _docx_text(path)
    if path.suffix == ".pdf":
        return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(path, read_only=True)
        return "\n".join(str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    return path.read_text(encoding="utf-8")


def test_no_personal_data_in_any_output(rendered):
    data, out, _ = rendered
    ds = load(data)
    t = ds["tickets"]
    secrets = set(t["id_number"].dropna()) | set(t["phone"].dropna().str.split("/").explode()) | {INJECTED_ID, INJECTED_PHONE}
    names = {n for n in t["citizen_name"].dropna() if len(n) >= 2}
    staff_names = set(ds["staff"]["name"].dropna())
    assert INJECTED_ID in secrets and len(secrets) > 100
    outputs = [p for p in out.rglob("*") if p.suffix in (".html", ".pdf", ".xlsx", ".docx", ".json", ".ipynb")]
    assert len(outputs) >= 17 and len([p for p in outputs if p.suffix == ".docx"]) == 4
    for path in outputs:
        text = _all_text(path)
        digits = set(re.findall(r"\d{11,18}[\dX]?", text))
        leaked = {s for s in secrets if s in text} | (digits & secrets)
        assert not leaked, (path.name, sorted(leaked)[:3])
        assert not [n for n in names | staff_names if n in text], path.name


def test_unknown_parameter_is_an_error():
    with pytest.raises(ReportError, match="未知参数"):
        check_parameters(notebook_path("monthly"), {"period": "2024-05", "perod": "x"})


def test_failed_run_publishes_nothing_and_keeps_the_notebook(rendered, tmp_path, monkeypatch):
    import nbformat

    from sscard_analysis.reporting import render

    data, _, _ = rendered
    nb = nbformat.read(notebook_path("weekly"), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('raise RuntimeError("数据异常")'))
    broken = tmp_path / "nb" / "weekly.ipynb"
    broken.parent.mkdir()
    nbformat.write(nb, broken)
    monkeypatch.setattr(render, "notebook_path", lambda kind: broken)
    out = tmp_path / "out"
    with pytest.raises(ReportError, match="RuntimeError: 数据异常"):
        run_report("weekly", "2024-W18", data, out)
    assert not [p for p in out.rglob("*") if p.suffix in (".html", ".pdf", ".xlsx", ".docx")]
    assert not list(out.glob(".tmp-*"))
    kept = out / "_failed" / "社保卡服务周报_2024-W18.ipynb"
    assert kept.is_file() and "数据异常" in kept.read_text(encoding="utf-8")


def test_pdf_failure_publishes_nothing(rendered, tmp_path, monkeypatch):
    from sscard_analysis.reporting import render

    data, _, _ = rendered

    def boom(page, out):
        raise OSError("disk full")

    monkeypatch.setattr(render, "to_pdf", boom)
    out = tmp_path / "out"
    with pytest.raises(OSError):
        run_report("weekly", "2024-W18", data, out, ("html", "pdf"))
    assert not list(out.rglob("*.html"))


def test_manifest_records_inputs(rendered):
    _, out, results = rendered
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(m) == {f"{k}:{p}" for k, p in [("weekly", "2024-W18"), ("monthly", "2024-05"), ("quarterly", "contract-Q1"), ("annual", "contract")]}
    assert m["monthly:2024-05"]["inputs_hash"] == results["monthly"].inputs_hash


@pytest.mark.parametrize("kind, period", REPORTS)
def test_docx_holds_the_headline_numbers_of_kpi_json(rendered, capsys, kind, period):
    data, _, results = rendered
    assert main(["kpi", "--data", str(data), "--period", period, "--json"]) == 0
    k = json.loads(capsys.readouterr().out)
    doc = Document(str(_files(results, kind, "docx")))
    table = next(t for t in doc.tables if [c.text for c in t.rows[0].cells] == ["指标", "本期", "上期", "变化"])
    shown = {r.cells[0].text: r.cells[1].text for r in table.rows[1:]}
    for key, label, how in HEADLINE:
        assert shown[label] == format_kpi(kpi_value(k, key), how), key
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[0] == "综述" and heads[1].startswith("一、") and all(re.match(r"[一二三四五六七八九十]+、", h) for h in heads[1:])
    assert round(doc.sections[0].page_width.mm) == 210


def _pdf_text(pdf: Path, page: int | None = None) -> str:
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(["pdftotext", "-layout", *pages, str(pdf), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("kind, period", REPORTS)
def test_toc_entries_carry_page_numbers(rendered, kind, period):
    _, _, results = rendered
    page = _files(results, kind, "html").read_text(encoding="utf-8")
    entries = re.findall(r'<a href="#sec-\d+">([^<]+)</a>', re.search(r'<nav class="toc">.*?</nav>', page).group(0))
    assert len(entries) >= 4
    pdf = _files(results, kind, "pdf")
    first = _pdf_text(pdf, 1)
    for entry in entries:
        m = re.search(re.escape(entry) + r"\s*\.+\s*(\d+)", first)
        assert m, entry
        # the section heading is on the page the entry names
        assert re.search(r"^\s*" + re.escape(entry) + r"\s*$", _pdf_text(pdf, int(m.group(1))), re.M), (entry, m.group(1))


def _layout(page_html: str):
    """(page number, right overflow in points of the widest box, filled share of the page height) per page."""
    from weasyprint.formatting_structure import boxes

    out = []
    for i, box, inner in page_boxes(page_html):
        right, top = box.content_box_x() + box.width, box.content_box_y()
        over = max(b.position_x + b.margin_width() - right for b in inner)
        leaves = [b for b in inner if isinstance(b, (boxes.LineBox, boxes.ReplacedBox, boxes.TableRowBox))]
        bottom = max(b.position_y + b.margin_height() for b in leaves)
        out.append((i, over, (bottom - top) / box.height))
    return out


@pytest.mark.parametrize("kind, period", REPORTS)
def test_pages_fit_a4_and_none_is_two_thirds_empty(rendered, kind, period):
    _, _, results = rendered
    pages = _layout(_files(results, kind, "html").read_text(encoding="utf-8"))
    assert [(i, round(o, 1)) for i, o, _ in pages if o > 0.5] == []  # no table (or anything) past the right margin
    # every page but the last is at least one-third full: small sections flow, nothing leaves a page two-thirds empty
    assert [(i, round(f, 2)) for i, _, f in pages[:-1] if f < 1 / 3] == []


@pytest.mark.parametrize("kind, period", REPORTS)
def test_placeholder_rows_are_last_in_every_ranking_table(rendered, kind, period):
    _, _, results = rendered
    page = _files(results, kind, "html").read_text(encoding="utf-8")
    tables = re.findall(r'<table class="ranking[^"]*">(.*?)</table>', page, re.S)
    assert len(tables) >= (1 if kind == "weekly" else 4)
    seen = 0
    for t in tables:
        first = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<tr><td[^>]*>(.*?)</td>", t)]
        placeholder = [c.startswith("（未") for c in first]
        assert placeholder == sorted(placeholder), first  # no real row after a placeholder
        seen += any(placeholder)
    assert seen or kind == "weekly", "the sample has tickets without a bank"


def test_report_command_writes_every_format_by_default(monkeypatch, tmp_path):
    from sscard_analysis.reporting import render

    called = {}

    def fake(kind, period, data, out, formats, as_of):
        called["formats"] = formats
        return render.Published(kind, period, [], "", {})

    monkeypatch.setattr(render, "run_report", fake)
    assert main(["report", "monthly", "--period", "2024-05", "--data", str(tmp_path)]) == 0
    assert called["formats"] == FORMATS and "docx" in FORMATS


@pytest.fixture(scope="module")
def july(tmp_path_factory):
    """The monthly report for July of a sample large enough to carry the card-activation outage of 15–19 July."""
    root = tmp_path_factory.mktemp("july")
    write_sample(root / "data", seed=0, tickets_per_month=1500)
    result = run_report("monthly", "2024-07", root / "data", root / "out", ("html",))
    return root / "data", _files({"monthly": result}, "monthly", "html").read_text(encoding="utf-8")


def _section(page: str, heading: str) -> str:
    """The HTML from a numbered heading to the next heading of the same level."""
    start = re.search(rf"<h2[^>]*>[^<]*{heading}</h2>", page)
    assert start, heading
    end = page.find("<h2", start.end())
    return page[start.end(): end if end > 0 else len(page)]


def test_july_report_shows_the_outage_in_incidents_and_summary_as_the_functions_find_it(july):
    from sscard_analysis import calendar_for
    from sscard_analysis.analysis import anomalies, topics
    from sscard_analysis.reporting.context import REPORT_COLUMNS
    from sscard_analysis.measures.hotline import prepare_tickets

    data, page = july
    ds = load(data)
    cal = calendar_for(ds.settings)
    tickets = prepare_tickets(ds["tickets"], ds.settings, cal, REPORT_COLUMNS)
    period = parse_period("2024-07", ds.settings)
    inc = anomalies.incidents(tickets, period, cal)
    outage = inc[inc["start"].astype(str).str.startswith("2024-07-1")]
    assert len(outage) == 1 and list(outage["drivers"].iloc[0]) == ["金融功能激活"]  # one incident, its category
    incidents = _section(page, "突发问题")
    assert "2024年07月15日" in incidents or "2024-07-15" in incidents or "7月15日" in incidents
    assert "金融功能激活" in incidents
    summary = page[page.index("综述"): page.index('<table class="headline"')]
    assert "突发问题" in summary and "金融功能激活" in summary
    # 热点诉求: the table lists the function's topics in its order with their counts
    hot = topics.hot_topics(tickets, period, None, 5, ds.settings.basic_satisfied_counts)
    rows = re.findall(r"<tr>(.*?)</tr>", _section(page, "热点诉求"), re.S)[1: 1 + len(hot)]
    for row, r in zip(rows, hot.itertuples()):
        cells = [re.sub(r"<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        assert cells[1] == r.topic and cells[2] == f"{r.tickets:,}"
