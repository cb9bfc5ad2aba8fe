"""The handover dossier on a small data folder with planted records (delivery/dossier.py, document.py)."""

import re
import subprocess
import zlib

import openpyxl
import pytest
from docx import Document
from docx.oxml.ns import qn

from sscard_analysis.cli import main
from sscard_analysis.delivery.dossier import INTERNAL_DIR, build_dossier
from sscard_analysis.delivery.manifest import verify
from sscard_analysis.ingest.sample import write_sample
from tests._pii import scan_tree
from tests.test_delivery_package import PLANTED_ID, plant_personal_data

INDEX = "00_交接资料索引"


def plant_records(data):
    """A PSAM card issued twice and recovered before a re-issue, and a 12345 ticket still open at the end."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["卡号", "事件", "日期", "使用单位"])
    for row in (("PSAM-PLANT-1", "申领", "2024-06-03", "市民政服务中心"), ("PSAM-PLANT-1", "发放", "2024-06-05", "市民政服务中心"),
                ("PSAM-PLANT-1", "发放", "2024-08-05", "市民政服务中心"), ("PSAM-PLANT-2", "申领", "2024-06-03", "市民政服务中心"),
                ("PSAM-PLANT-2", "回收", "2024-06-10", "市民政服务中心"), ("PSAM-PLANT-2", "发放", "2024-06-20", "市民政服务中心")):
        ws.append(row)
    wb.save(data / "PSAM卡台账_补录.xlsx")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "来源渠道", "受理时间", "诉求类型"])
    ws.append(["OPEN-1", "12345热线", "2025-02-20 09:30", "咨询"])  # never closed
    wb.save(data / "工单台账_未结.xlsx")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    d = tmp_path_factory.mktemp("dossier") / "data"
    write_sample(d, seed=6, tickets_per_month=30)
    plant_personal_data(d)
    plant_records(d)
    return d


@pytest.fixture(scope="module")
def dossier(data, tmp_path_factory):
    # the annual report as Excel only: the papermill formats are covered by the package tests
    return build_dossier(data, tmp_path_factory.mktemp("out"), formats=("xlsx",))


def test_dossier_holds_every_part_and_verifies(dossier):
    names = sorted(p.name for p in dossier.folder.iterdir())
    assert names == [f"{INDEX}.docx", f"{INDEX}.html", f"{INDEX}.pdf", "01_台账", "02_未办结事项.xlsx", "03_人员名册与岗位配置.xlsx",
                     "04_网点名录.xlsx", "05_应用目录.xlsx", "06_PSAM卡清点.xlsx", "07_指标与违约金.xlsx", "08_年报", "manifest.json"]
    ledgers = sorted(p.name for p in (dossier.folder / "01_台账").iterdir())
    assert len(ledgers) == 19 and "工单台账.xlsx" in ledgers and "数据质量.xlsx" in ledgers  # 18 ledgers + data quality
    assert [p.name for p in (dossier.folder / "08_年报" / "contract").iterdir()] == ["社保卡服务年报_contract.xlsx"]
    assert not (dossier.folder / INTERNAL_DIR).exists()
    assert verify(dossier.folder).ok and verify(dossier.zip).ok


def test_planted_psam_histories_are_listed(dossier):
    found = sorted(zip(dossier.psam_issues["卡号"], dossier.psam_issues["问题"], dossier.psam_issues["来源"]))
    # the second 发放 of PSAM-PLANT-1 is the file's 4th row (a header row, then 申领, 发放, 发放)
    assert ("PSAM-PLANT-1", "重复发放", "PSAM卡台账_补录.xlsx 第4行") in found
    assert ("PSAM-PLANT-2", "回收早于发放", "PSAM卡台账_补录.xlsx 第6行") in found
    sheet = openpyxl.load_workbook(dossier.folder / "06_PSAM卡清点.xlsx", read_only=True)["异常记录"]
    assert {"PSAM-PLANT-1", "PSAM-PLANT-2"} <= {r[0] for r in sheet.iter_rows(values_only=True)}
    text = subprocess.run(["pdftotext", str(dossier.folder / f"{INDEX}.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "PSAM-PLANT-1" in text and "回收早于发放" in text


def test_open_ticket_at_the_cut_off_with_its_deadline(dossier):
    rows = list(openpyxl.load_workbook(dossier.folder / "02_未办结事项.xlsx", read_only=True)["未办结工单"].iter_rows(values_only=True))
    head = rows[0]
    hit = [r for r in rows[1:] if r[0] == "OPEN-1"]
    # a 咨询 received Thu 2025-02-20 is due the next working day, Fri 2025-02-21 23:59:59: overdue at the cut-off
    assert len(hit) == 1 and str(hit[0][head.index("办理时限")]) == "2025-02-21 23:59:59" and hit[0][head.index("已逾期")] == "是"


def _pdf_links(path):
    """Internal link targets of a PDF (WeasyPrint writes them in compressed object streams)."""
    data = path.read_bytes()
    links = set()
    for m in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S):
        try:
            s = zlib.decompress(m.group(1))
        except zlib.error:
            continue
        links |= {x.decode() for x in re.findall(rb"/Subtype /Link/Rect \[[^]]*\]/BS <</W 0>>/Dest \(([^)]*)\)", s)}
    return links


def test_index_pdf_has_chinese_text_and_a_working_table_of_contents(dossier):
    pdf = dossier.folder / f"{INDEX}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"Noto-Sans-CJK\S*\s.*\byes\b", fonts), fonts
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "交接资料索引" in text and "目录" in text and "六、PSAM卡清点" in text
    dests = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True).stdout
    targets = set(re.findall(r'"(sec-\d+)"', dests))
    assert targets == {f"sec-{i}" for i in range(1, 9)}  # eight sections
    assert _pdf_links(pdf) == targets  # every table-of-contents entry links to its section


def test_index_docx_has_a_linked_table_of_contents(dossier):
    doc = Document(str(dossier.folder / f"{INDEX}.docx"))
    body = doc.element.body
    instr = "".join(t.text for t in body.iter(qn("w:instrText")))
    assert "TOC" in instr
    anchors = [h.get(qn("w:anchor")) for h in body.iter(qn("w:hyperlink"))]
    marks = [b.get(qn("w:name")) for b in body.iter(qn("w:bookmarkStart"))]
    assert anchors == marks == [f"_Toc_sec{i}" for i in range(1, 9)]
    heads = [p.text for p in doc.paragraphs if p.style.name == "Heading 1"]
    assert heads[0] == "目录" and heads[6] == "六、PSAM卡清点"
    assert doc.core_properties.created.year == 2025  # the cut-off, not the build time


def test_masked_dossier_has_no_personal_data(dossier):
    assert scan_tree(dossier.folder) == []
    assert scan_tree(dossier.zip) == []


def test_personal_data_only_with_the_flag(data, tmp_path, capsys):
    assert main(["dossier", "--data", str(data), "--out", str(tmp_path), "--formats", "none", "--include-personal-data"]) == 0
    out = capsys.readouterr()
    assert "警告" in out.err
    folder = next(p for p in tmp_path.iterdir() if p.is_dir())
    leaks = scan_tree(folder)
    assert ("id", PLANTED_ID) in {(k, v) for _, k, v in leaks}  # the scanner does find an unmasked ID
    assert {name.split("!")[0].split("/")[1] for name, _, _ in leaks} == {INTERNAL_DIR}
    internal = sorted((folder / INTERNAL_DIR).iterdir())
    assert internal and all(p.name.startswith("内部资料_") for p in internal)
    assert openpyxl.load_workbook(internal[0], read_only=True).sheetnames[0] == "内部资料"
    html = (folder / f"{INDEX}.html").read_text(encoding="utf-8")
    assert "未脱敏的个人信息" in html
    doc = Document(str(folder / f"{INDEX}.docx"))
    assert "内部资料" in doc.sections[0].header.paragraphs[0].text
