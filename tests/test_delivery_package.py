"""表3 packages built end to end on a small data folder (delivery/package.py, the package command).

One month's package is built twice with every report format (the slow part,
shared by the module) and checked as the office gets it: verify, masking in
every file, identical rebuilds; other checks build without reports.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sscard_analysis.cli import main
from sscard_analysis.delivery import package as P
from sscard_analysis.delivery.manifest import MANIFEST, verify
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.privacy import id_check_digit
from tests._pii import scan_tree, tree_texts

PLANTED_ID = "44010619850315" + "123"
PLANTED_ID += id_check_digit(PLANTED_ID)
PLANTED_PHONE = "13900001111"
PLANTED_NAME = "欧阳娜娜"
NAME = "社保卡交付包_2024-05"


def plant_personal_data(data: Path) -> None:
    """A May praise ticket whose text carries an ID number and a mobile number, with its citizen's name."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "来源渠道", "受理时间", "诉求类型", "办结时间", "诉求内容", "诉求人", "身份证号", "联系电话"])
    ws.append(["PII-1", "12345热线", "2024-05-08 10:00", "表扬", "2024-05-09 10:00",
               f"表扬网点服务，{PLANTED_NAME}，身份证{PLANTED_ID}，电话{PLANTED_PHONE}", PLANTED_NAME, PLANTED_ID, PLANTED_PHONE])
    wb.save(data / "工单台账_补录.xlsx")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("package")
    os.environ.setdefault("SSCARD_CACHE_DIR", str(root / "cache"))
    data = root / "data"
    write_sample(data, seed=5, tickets_per_month=40)
    plant_personal_data(data)
    first = P.build_package(data, root / "out1", period="2024-05")
    time.sleep(1.1)  # a second build at a later time: only the manifest's built_at may differ
    second = P.build_package(data, root / "out2", period="2024-05")
    return data, first, second


def test_package_holds_reports_ledgers_checklist_and_verifies(built, capsys):
    _, b, _ = built
    files = sorted(p.relative_to(b.folder).as_posix() for p in b.folder.rglob("*") if p.is_file())
    for ext in ("html", "pdf", "xlsx"):
        assert f"01_报告/2024-05/社保卡服务月报_2024-05.{ext}" in files
        assert f"00_交付清单_2024-05.{ext}" in files
    # the weeks whose Sunday falls in May: W18 (May 5) .. W21 (May 26)
    assert sorted({f.split("/")[1] for f in files if "周报" in f}) == ["2024-W18", "2024-W19", "2024-W20", "2024-W21"]
    assert {f for f in files if f.startswith("02_台账/")} == {f"02_台账/2024-05/{n}_2024-05.xlsx" for n in (
        "培训记录及培训教材", "二线支持记录", "服务人员绩效考核记录", "服务人员差错及表扬记录", "网点巡检记录", "办文记录")}
    assert files[-1] == MANIFEST and b.zip == b.folder.with_suffix(".zip")
    assert main(["verify", str(b.folder)]) == 0 and main(["verify", str(b.zip)]) == 0
    capsys.readouterr()
    row = b.checklist[b.checklist["交付文档"] == "各月网点巡检报告"].iloc[0]
    assert (row["状态"], row["对应文件"]) == ("齐全", "01_报告/2024-05/社保卡服务月报_2024-05.pdf")
    wb = openpyxl.load_workbook(b.folder / "02_台账/2024-05/培训记录及培训教材_2024-05.xlsx", read_only=True)
    assert wb.sheetnames == ["培训记录", "培训材料（累计）"]
    assert next(wb["培训记录"].iter_rows(values_only=True))[:3] == ("编号", "日期", "类型")


def test_changing_one_byte_fails_verify_naming_the_file(built, tmp_path, capsys):
    _, b, _ = built
    copy = tmp_path / NAME
    shutil.copytree(b.folder, copy)
    target = copy / "02_台账/2024-05/二线支持记录_2024-05.xlsx"
    data = bytearray(target.read_bytes())
    data[len(data) // 2] ^= 0x01
    target.write_bytes(bytes(data))
    assert main(["verify", str(copy)]) == 1
    assert "已改动: 02_台账/2024-05/二线支持记录_2024-05.xlsx" in capsys.readouterr().out


def test_no_personal_data_in_any_file(built):
    _, b, _ = built
    assert scan_tree(b.folder) == []
    assert scan_tree(b.zip) == []
    leaks = [name for name, text in tree_texts(b.zip) if PLANTED_NAME in text or PLANTED_PHONE in text]
    assert leaks == []
    # the planted ticket did reach the package, masked
    praise = openpyxl.load_workbook(b.folder / "02_台账/2024-05/服务人员差错及表扬记录_2024-05.xlsx", read_only=True)["表扬工单"]
    rows = [r for r in praise.iter_rows(values_only=True) if r[0] == "PII-1"]
    assert len(rows) == 1 and "139****1111" in " ".join(str(v) for v in rows[0]) and "欧阳**" in rows[0]


def test_two_builds_are_identical_apart_from_the_manifest_timestamp(built):
    _, a, b = built
    fa = sorted(p.relative_to(a.folder) for p in a.folder.rglob("*") if p.is_file())
    fb = sorted(p.relative_to(b.folder) for p in b.folder.rglob("*") if p.is_file())
    assert fa == fb
    differing = [str(f) for f in fa if (a.folder / f).read_bytes() != (b.folder / f).read_bytes()]
    assert differing == [MANIFEST]
    la = (a.folder / MANIFEST).read_text(encoding="utf-8").splitlines()
    lb = (b.folder / MANIFEST).read_text(encoding="utf-8").splitlines()
    diff = [(x, y) for x, y in zip(la, lb) if x != y]
    assert len(la) == len(lb) and len(diff) == 1 and diff[0][0].strip().startswith('"built_at"')
    with zipfile.ZipFile(a.zip) as za, zipfile.ZipFile(b.zip) as zb:
        assert [(i.filename, i.date_time) for i in za.infolist()] == [(i.filename, i.date_time) for i in zb.infolist()]
        assert [n for n in za.namelist() if za.read(n) != zb.read(n)] == [f"{NAME}/{MANIFEST}"]
    m = json.loads((a.folder / MANIFEST).read_text(encoding="utf-8"))
    assert m["parameters"]["period"] == "2024-05" and len(m["inputs"]) >= 18 and "sscard.toml" in m["inputs"]


def test_reports_show_the_cut_off_as_generation_time(built):
    _, b, _ = built
    page = (b.folder / "01_报告/2024-05/社保卡服务月报_2024-05.html").read_text(encoding="utf-8")
    assert "生成时间 2024-05-31 23:59" in page


def test_removing_the_trainings_ledger_marks_it_missing(built, tmp_path, capsys):
    data, _, _ = built
    copy = tmp_path / "data"
    shutil.copytree(data, copy)
    removed = [p for p in copy.iterdir() if p.name.startswith("培训与宣讲记录")]
    assert len(removed) == 1
    removed[0].unlink()
    assert main(["package", "--period", "2024-05", "--data", str(copy), "--out", str(tmp_path / "out"), "--formats", "none"]) == 0
    out = capsys.readouterr().out
    assert "缺失 3-1 各月培训记录 2024-05：数据目录中没有“培训与宣讲记录”台账文件" in out
    wb = openpyxl.load_workbook(tmp_path / "out" / NAME / "00_交付清单_2024-05.xlsx", read_only=True)
    rows = list(wb["交付清单"].iter_rows(values_only=True))
    assert ("3-1", "各月培训记录", "2024-05", "缺失") in [r[:4] for r in rows]


def test_a_failure_mid_build_leaves_no_package(built, tmp_path, monkeypatch):
    data, _, _ = built

    def boom(*args, **kwargs):
        raise RuntimeError("清单生成失败")

    monkeypatch.setattr(P, "checklist_outputs", boom)
    with pytest.raises(RuntimeError):
        P.build_package(data, tmp_path / "out", period="2024-05", formats=())
    assert list((tmp_path / "out").iterdir()) == []


KILLED_BUILD = """
import sys, time
from sscard_analysis.delivery import package as P
real = P.write_workbook
def slow(*a, **k):
    print("building", flush=True)
    time.sleep(60)
P.write_workbook = slow
P.build_package(sys.argv[1], sys.argv[2], period="2024-05", formats=())
"""


def test_a_killed_build_leaves_no_package(built, tmp_path):
    data, _, _ = built
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_BUILD, str(data), str(out)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "building"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []  # only the hidden staging folder is left
    b = P.build_package(data, out, period="2024-05", formats=())  # the next build clears it
    assert sorted(p.name for p in out.iterdir()) == [NAME, f"{NAME}.zip"] and verify(b.folder).ok


def test_acceptance_package_lists_every_indicator_with_its_evidence(built, tmp_path):
    data, _, _ = built
    b = P.build_package(data, tmp_path, stage="acceptance", formats=())
    rows = b.checklist[b.checklist["序号"] == "4-2"]
    assert len(rows) == 21
    assert rows["对应文件"].str.startswith(P.EVIDENCE_FILE + " »").all()
    wb = openpyxl.load_workbook(b.folder / P.EVIDENCE_FILE, read_only=True)
    summary = list(wb["指标汇总"].iter_rows(values_only=True))
    assert [r[0] for r in summary[1:]] == [f"A{i}" for i in range(1, 22)]
    header = summary[0]
    sheets_col, rows_col = header.index("证明工作表"), header.index("证明记录数")
    assert all(r[sheets_col] and all(s in wb.sheetnames for s in r[sheets_col].split("；")) for r in summary[1:])
    assert "违约金明细" in wb.sheetnames
    # A4 is the internal trainings of the service period: its sheet holds exactly the counted rows
    a4 = [r for r in summary[1:] if r[0] == "A4"][0]
    assert a4[rows_col] == a4[header.index("数值")]
    # every month of the service period has its ledgers
    months = sorted({p.parent.name for p in (b.folder / P.LEDGERS_DIR).rglob("*.xlsx")})
    assert months[0] == "2024-03" and months[-1] == "2025-02" and len(months) == 12
    assert verify(b.zip).ok
