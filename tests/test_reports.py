"""Each report notebook through papermill on a small sample, checked as the user gets it."""

import json
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

from sscard_analysis.ingest.reader import load
from sscard_analysis.contract.kpi import compute_kpis
from sscard_analysis.dates.periods import parse_period
from sscard_analysis.privacy import id_check_digit
from sscard_analysis.reporting.render import ReportError, check_parameters, notebook_path, run_report
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


@pytest.mark.parametrize("kind, heading", [("weekly", "发现的问题与建议"), ("monthly", "工单受理与办理"), ("quarterly", "热点问题"), ("annual", "违约金")])
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
    assert rows[0] == ("指标键", "指标", "本期", "上期")
    ds = load(data)
    k = compute_kpis(ds, parse_period("2024-05", ds.settings))
    values = {r[0]: r[2] for r in rows[1:]}
    for key, _, _ in HEADLINE:
        assert values[key] == pytest.approx(kpi_value(k, key)), key
    assert [r[0] for r in wb["合同指标"].iter_rows(min_row=2, values_only=True)] == [f"A{i}" for i in range(1, 22)]


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


def _all_text(path: Path) -> str:
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
    outputs = [p for p in out.rglob("*") if p.suffix in (".html", ".pdf", ".xlsx", ".json", ".ipynb")]
    assert len(outputs) >= 13
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
    assert not [p for p in out.rglob("*") if p.suffix in (".html", ".pdf", ".xlsx")]
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
