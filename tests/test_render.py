"""Publishing details of the renderer (issue 13): formats, temporary folders, stable pages, capped and scrubbed text."""

import io
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import matplotlib.pyplot as plt
import nbformat
import openpyxl
import pandas as pd
import pytest

from sscard_analysis import config
from sscard_analysis.reporting import charts, context, kernels, render
from sscard_analysis.reporting.excel import Workbook, csv_text
from sscard_analysis.reporting.formatting import CELL_CHARS, html_table
from sscard_analysis.reporting.render import ReportError, clean_stale_tmp, notebook_path, page_html, parse_formats, scrub_page, to_html

PHONE, ID = "13812345678", "440106199001011234"


@pytest.mark.parametrize("text, formats", [("html,pdf,xlsx,docx", ("html", "pdf", "xlsx", "docx")), ("docx,xlsx, HTML", ("html", "xlsx", "docx")),
                                           ("pdf,pdf", ("pdf",))])
def test_formats_are_parsed(text, formats):
    assert parse_formats(text) == formats


@pytest.mark.parametrize("text, message", [(",", "没有指定输出格式；可用 html,pdf,xlsx,docx"), ("", "没有指定输出格式；可用 html,pdf,xlsx,docx"),
                                           ("html,doc", "未知格式 doc；可用 html, pdf, xlsx, docx")])
def test_an_empty_or_unknown_format_list_is_refused(text, message):
    # issue 13.8: `--format ","` published nothing and exited 0
    with pytest.raises(ReportError) as exc:
        parse_formats(text)
    assert str(exc.value) == message


def test_temporary_folders_of_dead_runs_are_removed(tmp_path):
    # issue 13.6: `kill -9` of `report` left .tmp-* folders in --out forever
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / f".tmp-{dead.pid}-abc").mkdir()
    (tmp_path / f".tmp-{dead.pid}-abc" / "社保卡服务周报_2024-W18.pdf").write_bytes(b"%PDF")
    (tmp_path / f".tmp-{os.getpid()}-def").mkdir()  # a run still going (this process)
    old = tmp_path / ".tmp-x1y2z3"  # an older version's name, without a process id
    old.mkdir()
    os.utime(old, (time.time() - 2 * 86400,) * 2)
    removed = clean_stale_tmp(tmp_path)
    assert sorted(p.name for p in removed) == sorted([f".tmp-{dead.pid}-abc", ".tmp-x1y2z3"])
    assert [p.name for p in tmp_path.iterdir()] == [f".tmp-{os.getpid()}-def"]


def _executed(ids: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("## 一、主要指标"), nbformat.v4.new_code_cell("R.headline(ctx)")]
    nb.cells[1].outputs = [nbformat.v4.new_output("display_data", {"text/html": "<p>受理 12 件</p>"})]
    for cell, i in zip(nb.cells, ids):
        cell["id"] = i
    return nb


def test_the_same_report_twice_gives_the_same_page():
    # issue 13.14: papermill's injected cell has a random id, and the page carried it
    a = to_html(_executed(["9f1c2e7a", "injected-5b1d"]), "周报")
    b = to_html(_executed(["0d3e4f51", "injected-a9c0"]), "周报")
    assert a == b and "受理 12 件" in a


def test_pages_are_scrubbed_but_images_are_not():
    # issue 13.4: a phone typed into 所属区 reached the HTML and PDF
    image = "data:image/png;base64,iVBORw0KGgo" + PHONE + "AAAA" + ID + "=="
    page = scrub_page(f'<td>{PHONE}</td><td>身份证{ID}</td><img src="{image}"/>')
    assert PHONE not in page.split("<img")[0] and ID not in page.split("<img")[0]
    assert "<td>138****5678</td>" in page and "**************1234" in page and image in page


def test_long_text_is_capped_in_tables_and_the_pdf_stays_fast(tmp_path):
    # issue 13.5: a 32,767-character 业务类别 ran WeasyPrint for 19 minutes
    long = "社保卡" * 10_922 + "挂"
    assert len(long) == 32_767
    table = html_table(pd.DataFrame({"业务类别": [long, "挂失"], "件数": [1, 2]}))
    cell = table.split("<td>")[1].split("</td>")[0]
    assert len(cell) == CELL_CHARS and cell.endswith("…")
    started = time.monotonic()
    render.to_pdf(page_html(table, "周报"), tmp_path / "long.pdf")
    assert time.monotonic() - started < 30  # 2,000 characters in one cell took 4 s, 8,000 took 92 s


def test_the_excel_keeps_the_full_text_scrubbed_and_without_apostrophe(tmp_path):
    # issue 13.5: the full text stays in the Excel detail; 13.11: no visible "'" before "=" in a string cell;
    # 13.4: a phone or ID in any column is masked
    long = "社保卡" * 10_922 + "挂"
    frame = pd.DataFrame({"业务类别": [long, "=HYPERLINK(\"http://x\",\"点此\")"], "所属区": [PHONE, f"天河{ID}"]})
    wb = Workbook(tmp_path / "t.xlsx")
    wb.sheet("工单明细", frame)
    wb.close()
    ws = openpyxl.load_workbook(tmp_path / "t.xlsx")["工单明细"]
    assert len(ws["A2"].value) == 32_767
    assert ws["A3"].value == "=HYPERLINK(\"http://x\",\"点此\")" and ws["A3"].data_type == "s"
    assert (ws["B2"].value, ws["B3"].value) == ("138****5678", "天河**************1234")


@pytest.mark.parametrize("text, cell", [("=cmd|' -C calc'!A0", "'=cmd|' -C calc'!A0"), ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"),
                                        ("\t=1", "'\t=1"), ("普通文字", "普通文字"), (f"电话{PHONE}", "电话138****5678"), (12, 12)])
def test_csv_cells_are_formula_safe_and_scrubbed(text, cell):
    assert csv_text(text) == cell


def test_a_dollar_in_a_label_is_a_dollar():
    # issue 13.13: "$" in a category made matplotlib parse mathtext and fail
    charts.use_cjk_font()
    fig = charts.ranked_bars(pd.Series({"$社保卡^$ 挂失": 5, "补换卡$": 3, "x" * 80: 1}), "按业务类别分布")
    fig.savefig(io.BytesIO(), format="png")
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    assert "$社保卡^$ 挂失" in labels and max(len(t) for t in labels) == charts.LABEL_CHARS


def test_templates_are_found_through_one_function(tmp_path, monkeypatch):
    # issue 13.13: the renderer finds the templates through config.report_notebooks_dir() (package data once moved)
    assert notebook_path("weekly") == config.report_notebooks_dir() / "weekly.ipynb"
    assert notebook_path("weekly").is_file()
    monkeypatch.setenv("SSCARD_REPORT_NOTEBOOKS", str(tmp_path))
    assert notebook_path("monthly") == tmp_path / "monthly.ipynb"


def test_a_read_only_or_file_out_is_one_line(tmp_path):
    f = tmp_path / "reports"
    f.write_text("", encoding="utf-8")
    with pytest.raises(ReportError) as exc:
        render.prepare_out_dir(f)
    assert str(exc.value) == f"--out {f}: 是一个文件，不是文件夹"


def test_the_kernel_uses_a_handed_over_context_once_and_only_for_its_own_arguments(tmp_path, monkeypatch):
    # The runner builds the context, hands it to the report's kernel, and the notebook's build_context takes it
    # instead of reading the data again: only for the same kind, period label, data folder and cut-off, and once.
    monkeypatch.setattr(context, "load", lambda folder: "台账")
    monkeypatch.setattr(context, "context_for", lambda kind, ds, period, as_of=None: ("重新计算", kind, period, as_of))
    handed = SimpleNamespace(kind="monthly", period=SimpleNamespace(label="2024-07"), note="已算好")
    path = tmp_path / "h.pkl"
    context.hand_over(handed, tmp_path, None, path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds the data as read
    context.adopt(path)
    assert not path.exists()
    assert context.build_context("monthly", "2024-07", tmp_path, "2024-07-20") == ("重新计算", "monthly", "2024-07", "2024-07-20")
    assert context.build_context("weekly", "2024-07", tmp_path, "")[0] == "重新计算"
    assert context.build_context("monthly", "2024-07", f"{tmp_path}/.", "").note == "已算好"  # the same folder, spelled otherwise
    assert context.build_context("monthly", "2024-07", tmp_path, "")[0] == "重新计算"  # used once
    assert context.adopted().note == "已算好"  # the kernel writes the workbook from it
    with pytest.raises(FileNotFoundError):
        context.adopt(tmp_path / "gone.pkl")  # a later report's hand-over that cannot be taken
    assert context.adopted() is None and context._handed == {}  # nothing of the earlier report is left to use


def test_the_runner_writes_the_workbook_itself_when_the_kernel_cannot(tmp_path):
    calls = []

    class Link:
        def write_docx(self, page_file, out, title, author):
            calls.append(("docx", out.name, title, author))

        def write_workbook(self, out):
            calls.append(("xlsx", out.name))
            raise ReportError("报告内核执行失败（LookupError: 本内核没有接收报告数据）")

    page = tmp_path / "p.html"
    assert render._outputs_in_kernel(Link(), page, tmp_path / "a.docx", tmp_path / "a.xlsx", "月报", "项目组") is False
    assert calls == [("docx", "a.docx", "月报", "项目组"), ("xlsx", "a.xlsx")]  # the Word copy first
    assert render._outputs_in_kernel(Link(), page, None, None, "月报", "项目组") is True and len(calls) == 2


def test_handover_files_of_dead_runs_are_removed(sscard_cache):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    folder = sscard_cache / "handover"
    folder.mkdir()
    (folder / f"{dead.pid}-0a1b.pkl").write_bytes(b"x")
    (folder / f"{os.getpid()}-2c3d.pkl").write_bytes(b"x")  # a run still going (this process)
    new = render.handover_path()
    assert new.parent == folder and new.name.startswith(f"{os.getpid()}-") and not new.exists()
    assert sorted(p.name for p in folder.iterdir()) == [f"{os.getpid()}-2c3d.pkl"]
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700


def test_the_runner_s_kernel_calls_report_the_kernel_s_error():
    with kernels.kernel() as km:
        link = kernels.KernelLink(km)
        try:
            link.call("x = 6 * 7")
            link.call("assert x == 42")
            with pytest.raises(ReportError, match="报告内核执行失败（ZeroDivisionError"):
                link.call("1 / 0")
        finally:
            link.close()


def test_a_prestarted_kernel_is_taken_once_or_shut_down():
    from jupyter_core.utils import run_sync

    kernels.prestart()
    cm, km, link = kernels.take_prestarted("python3")
    try:
        assert kernels.take_prestarted("python3") is None  # taken once
        link.call("import sys; assert 'sscard_analysis.reporting.report' in sys.modules")  # the warm-up ran
    finally:
        link.close()
        cm.__exit__(None, None, None)
    kernels.prestart()
    (_name, _cm, unused, _link), = kernels._prestarted
    kernels.discard_prestarted()  # the command stopped before its report ran
    assert kernels._prestarted == [] and not run_sync(unused.is_alive)()


def test_the_kernel_writes_where_the_runner_means_whatever_folder_each_runs_in(tmp_path, monkeypatch):
    # `sscard report --out reports` run from another folder than the project's: the kernel (started in the
    # project folder) must write the Word copy into the runner's relative --out, not its own.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.html").write_text(page_html("<h2>概况</h2><p>受理 12 件</p>", "月报"), encoding="utf-8")
    with kernels.kernel() as km:
        link = kernels.KernelLink(km)
        try:
            link.write_docx(Path("p.html"), Path("月报.docx"), "月报", "项目组")
        finally:
            link.close()
    assert (tmp_path / "月报.docx").is_file()


def test_a_kernel_that_died_or_a_report_given_up_ends_the_wait_at_once():
    from jupyter_core.utils import run_sync

    with kernels.kernel() as km:
        link = kernels.KernelLink(km)
        try:
            link.call("x = 1")
            run_sync(km.shutdown_kernel)(now=True)  # as if it ran out of memory writing the workbook
            start = time.monotonic()
            with pytest.raises(ReportError, match="报告内核已退出"):
                link.call("x = 2", timeout=60)
            assert time.monotonic() - start < 10
            link.abandon()
            with pytest.raises(ReportError, match="报告已中止"):
                link.call("x = 3", timeout=60)
        finally:
            link.close()


def test_a_workbook_the_kernel_may_still_be_writing_gets_no_second_writer(tmp_path):
    class Link:
        def write_workbook(self, out):
            exc = ReportError("报告内核 600 秒内无响应")
            exc.still_running = True
            raise exc

    with pytest.raises(ReportError, match="无响应"):
        render._outputs_in_kernel(Link(), tmp_path / "p.html", None, tmp_path / "a.xlsx", "月报", "项目组")

