"""The analysts' workbench: every explore notebook runs headless under papermill on a small folder, shows no personal data."""

import json
import re
from pathlib import Path

import nbformat
import openpyxl
import papermill as pm
import pytest
from jupyter_client.manager import AsyncKernelManager
from jupyter_core.utils import run_sync

from sscard_analysis.analysis.workbench import Workbench
from sscard_analysis.ingest.reader import load
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.privacy import id_check_digit

EXPLORE = Path(__file__).resolve().parents[1] / "notebooks" / "explore"
NOTEBOOKS = sorted(EXPLORE.glob("*.ipynb"))
PLANTED_ID = "44010619850315123"
PLANTED_ID += id_check_digit(PLANTED_ID)
PLANTED_PHONE = "13911112222"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A small sample year plus a planted file: 25 extra 照片回执 tickets on each of 06-12..06-14 and one caller on two channels."""
    root = tmp_path_factory.mktemp("explore")
    data = root / "data"
    write_sample(data, seed=4, tickets_per_month=300)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工单编号", "来源渠道", "受理时间", "诉求类型", "业务类别", "诉求内容", "诉求人", "身份证号", "联系电话"])
    for day in ("2024-06-12", "2024-06-13", "2024-06-14"):
        for i in range(25):
            ws.append([f"PL{day}{i:02d}", "12345热线", f"{day} {9 + i // 6}:{i % 6 * 10:02d}", "求助", "照片回执",
                       f"照片回执编号查询不到，回执系统升级中，请回电{PLANTED_PHONE if i == 0 else ''}", "欧阳娜娜", None, None])
    ws.append(["RP1", "12345热线", "2024-06-03 10:00", "咨询", "补换", "补换卡进度", "司马光明", PLANTED_ID, PLANTED_PHONE])
    ws.append(["RP2", "穗好办APP", "2024-06-05 10:00", "咨询", "补换", "补换卡进度再次询问", "司马光明", None, PLANTED_PHONE])
    wb.save(data / "工单台账_补录.xlsx")
    return root, data


@pytest.fixture(scope="module")
def executed(folder):
    root, data = folder
    out = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSCARD_CACHE_DIR", str(root / "cache"))
        mp.setenv("SSCARD_CITIZEN_KEY_FILE", str(root / "citizen_key"))
        km = AsyncKernelManager(kernel_name="python3")  # one kernel for the six notebooks: imports stay warm
        run_sync(km.start_kernel)(cwd=str(EXPLORE), extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
        try:
            for path in NOTEBOOKS:
                target = root / f"{path.stem}.ipynb"
                pm.execute_notebook(str(path), str(target), progress_bar=False, cwd=str(EXPLORE), km=km, parameters={
                    "data_dir": str(data), "period": "2024-06", "interactive": False, "export_to": str(root / f"{path.stem}.xlsx")})
                out[path.stem] = nbformat.read(target, as_version=4)
        finally:
            run_sync(km.shutdown_kernel)(now=True)
    return out


def _text(nb) -> str:
    return "\n".join(json.dumps(o.get("data", o.get("text", "")), ensure_ascii=False) for c in nb.cells if c.cell_type == "code" for o in c.outputs)


def _secrets(data: Path) -> tuple[set[str], set[str]]:
    t = load(data)["tickets"]
    numbers = set(t["id_number"].dropna()) | set(t["phone"].dropna().str.split("/").explode()) | {PLANTED_ID, PLANTED_PHONE}
    names = {n for n in t["citizen_name"].dropna() if len(n) >= 2} | {"欧阳娜娜", "司马光明"}
    return numbers, names


def test_one_notebook_per_question():
    assert {p.stem for p in NOTEBOOKS} == {"trends", "incidents", "topics", "repeats", "satisfaction", "outlets"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebooks_are_thin_with_a_parameters_cell(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    assert {"data_dir", "period", "channel", "district", "bank", "category", "interactive", "export_to"} <= set(re.findall(r"^(\w+):", code[0].source, re.M))
    for cell in code[1:]:
        assert "def " not in cell.source and "import pandas" not in cell.source
        assert len(cell.source.strip().splitlines()) <= 4, cell.source


def test_every_notebook_runs_headless_without_personal_data(folder, executed):
    root, data = folder
    numbers, names = _secrets(data)
    assert len(numbers) > 100
    for stem, nb in executed.items():
        text = _text(nb)
        assert "Traceback" not in text and "Error" not in text, stem
        assert not {s for s in numbers if s in text}, stem
        assert not {n for n in names if n in text}, stem


def test_incidents_notebook_lists_the_planted_spike(executed):
    text = _text(executed["incidents"])
    assert "照片回执" in text and "2024-06-12" in text and "2024-06-14" in text


def test_repeats_notebook_counts_the_planted_caller_once(executed):
    text = _text(executed["repeats"])
    assert "12345热线、穗好办APP" in text and "RP1、RP2" in text


def test_export_is_a_masked_excel_of_the_slice(folder, executed):
    root, data = folder
    numbers, names = _secrets(data)
    wb = openpyxl.load_workbook(root / "trends.xlsx", read_only=True)
    assert wb.sheetnames == ["筛选条件", "工单（已脱敏）"]
    rows = list(wb["工单（已脱敏）"].iter_rows(values_only=True))
    header = rows[0]
    assert {"工单编号", "诉求人", "身份证号", "联系电话", "诉求内容"} <= set(header)
    assert len(rows) - 1 == sum(1 for r in rows[1:] if str(r[header.index("受理时间")]).startswith("2024-06"))
    cells = "\n".join(str(v) for r in rows for v in r if v is not None)
    assert not {s for s in numbers if s in cells} and not {n for n in names if n in cells}
    assert "欧阳**" in cells and f"{PLANTED_PHONE[:3]}****{PLANTED_PHONE[-4:]}" in cells


def test_interactive_mode_still_runs_headless(folder, tmp_path):
    root, data = folder
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSCARD_CACHE_DIR", str(root / "cache"))
        mp.setenv("SSCARD_CITIZEN_KEY_FILE", str(root / "citizen_key"))
        pm.execute_notebook(str(EXPLORE / "satisfaction.ipynb"), str(tmp_path / "s.ipynb"), progress_bar=False, cwd=str(EXPLORE),
                            parameters={"data_dir": str(data), "period": "2024-06", "interactive": True})
    nb = nbformat.read(tmp_path / "s.ipynb", as_version=4)
    kinds = {k for c in nb.cells if c.cell_type == "code" for o in c.outputs for k in o.get("data", {})}
    assert "application/vnd.jupyter.widget-view+json" in kinds  # the filter bar
    text = _text(nb)
    assert "window._itables_" in text  # itables: sortable tables, the DataTables library embedded (offline)


def test_filters_change_the_slice_and_refresh(folder, monkeypatch):
    root, data = folder
    monkeypatch.setenv("SSCARD_CACHE_DIR", str(root / "cache"))
    wb = Workbench(data, "2024-06", interactive=False)
    everything = len(wb.slice())
    wb.set(category="照片回执", channel="12345热线")
    sliced = wb.slice()
    assert 75 <= len(sliced) < everything and set(sliced["业务类别"]) == {"照片回执"}
    assert "业务类别：照片回执" in wb.describe()
    wb.set(category="")
    assert "业务类别" not in wb.describe()
    with pytest.raises(ValueError, match="无法按"):
        wb.set(colour="红")
    with pytest.raises(ValueError, match="没有名为"):
        wb.show("nothing")
    handlers = wb.rates(by="handler")["经办人"]
    assert not any(len(h) >= 2 and "*" not in h and not h.isascii() for h in handlers if h != "（未填）")
