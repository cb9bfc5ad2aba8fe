"""Which reports are due, and run-due's skip/re-run behaviour, lock, workers and time limit (issue 13)."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import nbformat
import pytest

from sscard_analysis.cli import main
from sscard_analysis.config import Settings
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.reporting.render import FORMATS, ReportError, notebook_path
from sscard_analysis.reporting.schedule import LOCK, Busy, closed_periods, exclusive, run_due

S = Settings(start=date(2024, 3, 1))
TODAY = date(2024, 3, 12)  # two weeks closed: 2024-W09 (26 Feb–3 Mar) and 2024-W10 (4–10 Mar)
BOTH = ["weekly:2024-W09", "weekly:2024-W10"]


def test_closed_periods_early():
    due = closed_periods(S, date(2024, 4, 10))
    assert due == [("weekly", f"2024-W{w:02d}") for w in range(9, 15)] + [("monthly", "2024-03")]


def test_closed_periods_after_the_service():
    due = closed_periods(S, date(2025, 3, 1))
    kinds = [k for k, _ in due]
    # 52 weeks (the week of 2025-02-28 ends on Sunday 03-02), 12 months, 4 service quarters, the service year
    assert (kinds.count("weekly"), kinds.count("monthly"), kinds.count("quarterly"), kinds.count("annual")) == (52, 12, 4, 1)
    assert due[-1] == ("annual", "contract")


def test_lock_refuses_a_second_run(tmp_path):
    with exclusive(tmp_path):
        with pytest.raises(Busy, match=f"进程 {os.getpid()}"):
            with exclusive(tmp_path):
                pass
    with exclusive(tmp_path) as notes:  # released on exit, and a clean end leaves nothing to take over
        assert notes == []


def test_a_lock_left_by_a_dead_run_is_taken_over_with_a_message(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK).write_text(f"pid={dead.pid} started=2024-03-12T07:30:00\n", encoding="utf-8")
    with exclusive(tmp_path) as notes:
        assert notes == [f"上次 run-due（进程 {dead.pid}，2024-03-12 07:30:00 开始）未正常结束，该进程已不存在；本次已接管 .run-due.lock"]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """A sample folder and the two weekly reports run-due published for it."""
    root = tmp_path_factory.mktemp("due")
    data = root / "data"
    write_sample(data, seed=5, tickets_per_month=60)
    out = root / "reports"
    first = run_due(data, out, today=TODAY, progress=False)
    assert first["done"] == BOTH and not first["failed"] and not first.get("held")
    return data, out


def _copy(published, tmp_path):
    data, out = published
    shutil.copytree(data, tmp_path / "data")
    shutil.copytree(out, tmp_path / "reports")
    return tmp_path / "data", tmp_path / "reports"


def _mtimes(out: Path) -> dict:
    return {p.relative_to(out): p.stat().st_mtime_ns for p in out.rglob("*") if p.suffix in (".html", ".pdf", ".xlsx")}


def test_run_due_skips_what_is_fresh_and_reruns_only_what_changed(published, tmp_path):
    data, out = _copy(published, tmp_path)
    assert (out / "2024-W10" / "社保卡服务周报_2024-W10.pdf").is_file()
    again = run_due(data, out, today=TODAY, progress=False)
    assert again["done"] == [] and sorted(again["skipped"]) == BOTH
    (data / "sscard.toml").write_text((data / "sscard.toml").read_text(encoding="utf-8") + "\n# 备注\n", encoding="utf-8")
    (data / "说明.txt").write_text("不是台账", encoding="utf-8")  # a stray file changes no report
    assert run_due(data, out, today=TODAY, progress=False)["done"] == []
    # a ticket received on 5 March can change the week of 4–10 March, never the week before (issue 13.2)
    (data / "extra").mkdir()
    (data / "extra" / "工单台账_补录.csv").write_text("工单编号,来源渠道,受理时间,诉求类型\nX1,12345,2024-03-05 10:00,咨询\n", encoding="utf-8")
    rerun = run_due(data, out, today=TODAY, progress=False)
    assert rerun["done"] == ["weekly:2024-W10"] and rerun["skipped"] == ["weekly:2024-W09"]


def test_missing_formats_are_made_and_recorded(published, tmp_path):
    # issue 13.8: `report --format html,pdf` left no xlsx, which run-due never made; now it makes what is missing
    data, out = _copy(published, tmp_path)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(m["weekly:2024-W09"]["formats"]) == sorted(FORMATS)
    xlsx = out / "2024-W09" / "社保卡服务周报_2024-W09.xlsx"
    xlsx.unlink()
    html_before = (out / "2024-W09" / "社保卡服务周报_2024-W09.html").stat().st_mtime_ns
    r = run_due(data, out, today=TODAY, progress=False)
    assert r["done"] == ["weekly:2024-W09"] and r["skipped"] == ["weekly:2024-W10"]
    assert xlsx.is_file()
    assert (out / "2024-W09" / "社保卡服务周报_2024-W09.html").stat().st_mtime_ns == html_before  # only the missing format
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(m["weekly:2024-W09"]["formats"]) == sorted(FORMATS)


def test_fewer_input_files_never_replace_a_published_report(published, tmp_path, capsys):
    # issue 13.1: files vanished from the folder (a half-mounted share): keep the published reports
    data, out = _copy(published, tmp_path)
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    before = m["weekly:2024-W10"]["input_files"]
    assert before >= 3
    for name in ("培训与宣讲记录.xlsx", "网点现场检查记录.xlsx"):
        (data / name).unlink()
    stamps = _mtimes(out)
    capsys.readouterr()
    assert main(["run-due", "--data", str(data), "--out", str(out), "--today", "2024-03-12", "--quiet"]) == 1
    captured = capsys.readouterr()
    assert "生成 0 份，已是最新 0 份，未替换 2 份，失败 0 份" in captured.out
    assert f"未替换 weekly:2024-W10: 输入文件由 {before} 个减少为 {before - 2} 个" in captured.err
    assert _mtimes(out) == stamps  # nothing replaced
    forced = run_due(data, out, today=TODAY, progress=False, force=True)
    assert forced["done"] == BOTH
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["weekly:2024-W10"]["input_files"] == before - 2


def test_an_empty_or_vanished_folder_is_an_error(published, tmp_path, capsys):
    # issue 13.1: "生成 2 份", exit 0, and blank reports over the good ones
    _, out = _copy(published, tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "sscard.toml").write_text("[contract]\nstart = 2024-03-01\n", encoding="utf-8")
    stamps = _mtimes(out)
    with pytest.raises(ReportError, match="没有找到任何台账文件"):
        run_due(empty, out, today=TODAY, progress=False)
    capsys.readouterr()
    assert main(["run-due", "--data", str(empty), "--out", str(out), "--today", "2024-03-12", "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == f"错误: {empty}: 没有找到任何台账文件；请检查数据目录是否正确、是否已挂载"
    assert main(["run-due", "--data", str(tmp_path / "unmounted"), "--out", str(out), "--quiet"]) == 2
    assert capsys.readouterr().err.strip() == f"错误: --data {tmp_path / 'unmounted'}: 数据目录不存在"
    assert _mtimes(out) == stamps


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents.setdefault(int(fields[1]), set()).add(int(stat.parent.name))
    out, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), ()):
            out.add(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _slow_templates(tmp_path: Path, seconds: int) -> Path:
    """Report templates that take ``seconds`` in their last cell (a report that hangs)."""
    folder = tmp_path / "templates"
    folder.mkdir()
    for kind in ("weekly", "monthly", "quarterly", "annual"):
        nb = nbformat.read(notebook_path(kind), as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(f"import time\ntime.sleep({seconds})"))
        nbformat.write(nb, folder / f"{kind}.ipynb")
    return folder


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_leaves_no_worker_kernel_or_lock_behind(published, tmp_path):
    # issue 13.6: the workers and their kernels outlived a killed run-due and held the lock for minutes
    data, _ = published
    out = tmp_path / "reports"
    env = {**os.environ, "SSCARD_REPORT_NOTEBOOKS": str(_slow_templates(tmp_path, 120))}
    proc = subprocess.Popen([str(Path(sys.executable).with_name("sscard")), "run-due", "--data", str(data), "--out", str(out),
                             "--today", "2024-03-12", "--quiet"], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.time() + 90
        family = set()
        while time.time() < deadline:  # two workers, each with its kernel, all busy
            family = _children(proc.pid)
            if len(family) >= 4 and list(out.glob(".tmp-*")):
                break
            time.sleep(0.5)
        assert len(family) >= 4, proc.stderr.read().decode() if proc.poll() is not None else family
        proc.kill()
        proc.wait()
        deadline = time.time() + 15
        while time.time() < deadline and any(_alive(p) for p in family):
            time.sleep(0.2)
        assert not [p for p in family if _alive(p)]
        with exclusive(out) as notes:  # the lock is free at once, and the next run says what it took over
            assert len(notes) == 1 and f"进程 {proc.pid}" in notes[0] and "已接管" in notes[0]
        assert not list(out.rglob("*.pdf"))
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)


def test_a_report_over_its_time_limit_is_stopped_and_the_rest_go_on(published, tmp_path, monkeypatch):
    # issue 13.5: one report running for 19 minutes held the lock; now it fails after its time limit
    data, _ = published
    out = tmp_path / "reports"
    monkeypatch.setenv("SSCARD_REPORT_NOTEBOOKS", str(_slow_templates(tmp_path, 600)))
    before = _children(os.getpid())  # e.g. kernels other test modules keep
    started = time.monotonic()
    r = run_due(data, out, today=TODAY, progress=False, time_limit_s=8)
    assert time.monotonic() - started < 60
    assert r["done"] == [] and [k for k, _ in r["failed"]] == BOTH
    assert all(msg == "超过时限 8 秒，已停止（sscard.toml [report] time_limit_minutes）" for _, msg in r["failed"])
    left = [p for p in _children(os.getpid()) - before if _alive(p)]
    assert not left, [Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ")[:200] for p in left]  # no worker or kernel left
    assert not list(out.rglob("*.pdf")) and not list(out.glob(".tmp-*"))
    with exclusive(out) as notes:
        assert notes == []
