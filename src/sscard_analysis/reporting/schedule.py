"""Scheduled runs: every report whose period has closed and that is missing or stale.

``sscard run-due`` lists the weekly (ISO weeks), monthly, quarterly (service
quarters) and annual (the service year) reports of the service period that
have closed by ``today``, skips those whose manifest entry has the same
fingerprint (:mod:`.manifest`) and every format, renders the missing formats
of the rest or the whole report when its inputs changed, on up to two worker
processes. It never replaces a published report with one built from fewer
input files than last time unless told to (``force``): an unmounted or
half-copied folder must not overwrite good reports.

Unattended runs must not leave anything behind:

- A lock file (``.run-due.lock``, a POSIX record lock that child processes
  never inherit and that dies with its process) makes sure two runs never
  overlap; it records the holder's process id, so a run killed with
  ``kill -9`` is named when the next run takes over.
- Workers are fresh Python processes (started like a command, so they
  inherit no open file and never re-run the caller's script), die with the
  parent (Linux ``PR_SET_PDEATHSIG``, elsewhere a watch on the parent), and
  their notebook kernels die with them (ipykernel watches its parent).
- Each report has a time limit (``[report] time_limit_minutes`` in
  ``sscard.toml``): a report still running then is stopped, its worker and
  kernel killed, and it counts as failed; the other reports go on.
- Each report is recorded in the manifest by its worker the moment it is
  published.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from multiprocessing.connection import Connection, wait
from pathlib import Path

from ..config import Settings, add_months, pid_alive
from ..dates.periods import parse_period, service_quarters
from .manifest import ReportInputs, read_manifest, require_ledgers
from .render import FORMATS, clean_stale_tmp, prepare_out_dir, template

LOCK = ".run-due.lock"
_HELD: set[str] = set()  # lock files this process holds (a record lock does not refuse its own process)


class Busy(RuntimeError):
    """Another run-due holds the lock."""


def _holder(text: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in text.split() if "=" in part)


@contextmanager
def exclusive(out_dir: Path):
    """Hold ``out_dir/.run-due.lock`` for the duration (non-blocking: Busy if held).

    Yields a list of notes: one line when the previous holder died without
    releasing the lock (its process id is gone) and this run took over.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = (out_dir / LOCK).resolve()
    if str(path) in _HELD:
        raise Busy(f"{out_dir}: 另一个 run-due 正在运行（本进程 {os.getpid()}）")
    fh = os.fdopen(os.open(path, os.O_RDWR | os.O_CREAT, 0o644), "r+", encoding="utf-8")
    held = False
    try:
        try:
            fcntl.lockf(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # EAGAIN or EACCES: held by another process
            h = _holder(fh.read())
            who = f"进程 {h['pid']}，{h.get('started', '').replace('T', ' ')} 开始" if "pid" in h else "另一进程"
            raise Busy(f"{out_dir}: 另一个 run-due 正在运行（{who}）") from None
        held = True
        notes = []
        previous = _holder(fh.read())
        if "pid" in previous and previous["pid"].isdigit() and int(previous["pid"]) != os.getpid():
            pid = int(previous["pid"])
            state = "已不存在" if not pid_alive(pid) else "未持有锁"
            notes.append(f"上次 run-due（进程 {pid}，{previous.get('started', '').replace('T', ' ')} 开始）未正常结束，"
                         f"该进程{state}；本次已接管 {LOCK}")
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid={os.getpid()} started={datetime.now().replace(microsecond=0).isoformat()}\n")
        fh.flush()
        _HELD.add(str(path))
        yield notes
    finally:
        if held:
            _HELD.discard(str(path))
            try:
                fh.seek(0)
                fh.truncate()  # a clean end: the next run has nothing to take over
            except OSError:
                pass
        fh.close()


def closed_periods(settings: Settings, today: date) -> list[tuple[str, str]]:
    """(kind, period label) of every report period of the service that ended before ``today``."""
    start, end = settings.start, settings.end
    out = []
    monday = start - timedelta(days=start.weekday())
    while monday <= end and monday + timedelta(days=6) < today:
        y, w, _ = monday.isocalendar()
        out.append(("weekly", f"{y}-W{w:02d}"))
        monday += timedelta(days=7)
    m = date(start.year, start.month, 1)
    while m <= end and add_months(m, 1) - timedelta(days=1) < today:
        out.append(("monthly", f"{m.year}-{m.month:02d}"))
        m = add_months(m, 1)
    for label, _, q_end in service_quarters(settings):
        if q_end < today:
            out.append(("quarterly", label))
    if end < today:
        out.append(("annual", "contract"))
    return out


# ---------------------------------------------------------------- workers


PR_SET_PDEATHSIG = 1


def _die_with_parent(parent_pid: int) -> None:
    """Make this process end when ``parent_pid`` does (kill -9 of run-due must not leave workers behind)."""
    if sys.platform.startswith("linux"):
        try:
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        except (OSError, AttributeError):  # pragma: no cover - every Linux libc has prctl
            pass
    if os.getppid() != parent_pid:  # the parent died before the request above took effect
        os._exit(1)

    def watch() -> None:  # everywhere (and a second guard on Linux): poll for a new parent
        while True:
            time.sleep(1.0)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _worker_entry() -> None:
    """Entry point of a worker process: ``python -c … <socket fd> <parent pid>``."""
    _worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]))


def _worker_main(conn, parent_pid: int) -> None:
    """A worker: one notebook kernel for all its reports; jobs in, one message per job out."""
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent, which stops the workers
    from .kernels import kernel
    from .render import run_report

    session = kernel()
    try:
        km = session.__enter__()
    except Exception as exc:  # no kernel can start: every job would fail the same way
        conn.send(("broken", f"无法启动 Jupyter 内核（{type(exc).__name__}: {exc}）"))
        return
    try:
        conn.send(("ready", getattr(getattr(km, "provisioner", None), "pid", None)))
        while True:
            try:
                job = conn.recv()
            except (EOFError, OSError):
                break
            if job is None:
                break
            kind, label, data_dir, out_dir, formats = job
            try:
                run_report(kind, label, data_dir, out_dir, formats, km=km)  # records itself in the manifest
                conn.send(("done", None))
            except Exception as exc:  # one report failing never stops the others
                conn.send(("failed", str(exc) if type(exc).__module__.startswith("sscard_analysis") else f"{type(exc).__name__}: {exc}"))
    finally:
        session.__exit__(None, None, None)


class _Worker:
    """The parent's handle on one worker process."""

    def __init__(self) -> None:
        mine, theirs = socket.socketpair()
        code = "from sscard_analysis.reporting.schedule import _worker_entry; _worker_entry()"
        self.proc = subprocess.Popen([sys.executable, "-c", code, str(theirs.fileno()), str(os.getpid())],
                                     pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
        theirs.close()
        self.conn = Connection(mine.detach())
        self.ready = False
        self.kernel_pid: int | None = None
        self.job: tuple | None = None
        self.started = 0.0

    def assign(self, job: tuple) -> None:
        self.job = job
        self.started = time.monotonic()
        self.conn.send(job)

    def kill(self) -> None:
        for pid in (self.kernel_pid, self.proc.pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        self.proc.wait(5)
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        try:
            self.proc.wait(15)
            self.conn.close()
        except subprocess.TimeoutExpired:
            self.kill()


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} 分钟" if seconds >= 60 else f"{seconds:g} 秒"


def _render(jobs: list[tuple], workers: int, time_limit_s: float, on_result) -> None:
    """Render ``jobs`` on up to ``workers`` processes; ``on_result(job, error_or_None)`` for each."""
    queue = deque(jobs)
    pool: list[_Worker] = [_Worker() for _ in range(max(1, min(workers, len(jobs))))]
    broken = None
    try:
        while queue or any(w.job for w in pool):
            if not pool:  # every worker failed to start
                while queue:
                    on_result(queue.popleft(), broken or "工作进程无法启动")
                break
            for w in pool:
                if w.ready and w.job is None and queue:
                    w.assign(queue.popleft())
            deadlines = [w.started + time_limit_s - time.monotonic() for w in pool if w.job]
            wait([w.conn for w in pool], timeout=max(0.05, min([1.0] + deadlines)))
            for w in list(pool):
                gone = False
                try:
                    while w.conn.poll():
                        msg = w.conn.recv()
                        if msg[0] == "ready":
                            w.ready, w.kernel_pid = True, msg[1]
                        elif msg[0] == "broken":
                            broken, gone = msg[1], True
                            break
                        else:
                            job, w.job = w.job, None
                            on_result(job, None if msg[0] == "done" else msg[1])
                except (EOFError, OSError):
                    gone = True
                if w.job and time.monotonic() - w.started > time_limit_s:
                    on_result(w.job, f"超过时限 {_duration(time_limit_s)}，已停止（sscard.toml [report] time_limit_minutes）")
                    w.job, gone = None, True
                elif not gone and w.proc.poll() is not None:
                    gone = True
                if gone and w.job:
                    on_result(w.job, f"工作进程意外退出（退出码 {w.proc.poll()}）")
                    w.job = None
                if gone:
                    w.kill()
                    pool.remove(w)
                    if not w.ready and broken is None:  # died before its kernel started: a new one would too
                        broken = f"工作进程无法启动（退出码 {w.proc.returncode}）"
                    if queue and broken is None and len(pool) < workers:
                        pool.append(_Worker())
    finally:
        for w in pool:
            if w.job:
                w.kill()
            else:
                w.stop()


def run_due(data_dir: Path, out_dir: Path, today: date | None = None, workers: int = 2, progress: bool = True,
            force: bool = False, time_limit_s: float | None = None) -> dict:
    """Render every due report.

    Parameters
    ----------
    data_dir, out_dir : the data folder and the reports folder.
    today : closed periods are those that ended before this day (default today).
    workers : worker processes (at most one per report due).
    progress : show a progress bar.
    force : replace a published report even when fewer input files feed it than last time.
    time_limit_s : seconds one report may run (default ``[report] time_limit_minutes``).

    Returns
    -------
    dict
        ``done``, ``skipped`` (up to date) and ``failed`` ((key, message)),
        ``held`` ((key, message): not replaced, fewer input files) and
        ``notes`` (lines worth showing, such as a lock taken over).
    """
    from tqdm import tqdm

    from ..ingest.reader import load

    today = today or date.today()
    out_dir = Path(out_dir)
    data_dir = Path(data_dir).resolve()
    prepare_out_dir(out_dir)
    with exclusive(out_dir) as notes:
        clean_stale_tmp(out_dir)  # left by a killed run
        ds = load(data_dir)  # parses and caches once, before the workers start
        require_ledgers(ds)
        inputs = ReportInputs(ds)
        manifest = read_manifest(out_dir)
        due, skipped, held = [], [], []
        for kind, label in closed_periods(ds.settings, today):
            key = f"{kind}:{label}"
            period = parse_period(label, ds.settings)
            digest = inputs.fingerprint(kind, period, template(kind))
            entry = manifest.get(key) or {}
            if entry.get("inputs_hash") == digest:
                have = {Path(f).suffix.lstrip(".") for f in entry.get("files", []) if (out_dir / f).is_file()}
                missing = tuple(f for f in FORMATS if f not in have)
                if missing:
                    due.append((kind, label, str(data_dir), str(out_dir), missing))
                else:
                    skipped.append(key)
                continue
            before, now = entry.get("input_files"), inputs.input_files(period)
            if not force and isinstance(before, int) and now < before:
                held.append((key, f"输入文件由 {before} 个减少为 {now} 个，未替换已发布的报告（确认数据无误后加 --force 重新生成）"))
                continue
            due.append((kind, label, str(data_dir), str(out_dir), FORMATS))
        done, failed = [], []
        limit = time_limit_s if time_limit_s is not None else ds.settings.report_time_limit_minutes * 60
        bar = tqdm(total=len(due), desc="报告", unit="份", disable=not progress)

        def on_result(job: tuple, error: str | None) -> None:
            key = f"{job[0]}:{job[1]}"
            if error is None:
                done.append(key)
            else:
                failed.append((key, error))
            bar.update(1)

        if due:
            try:
                _render(due, workers, limit, on_result)
            finally:
                clean_stale_tmp(out_dir)  # the temporary folders of workers stopped at their time limit
        bar.close()
    return {"done": sorted(done), "skipped": skipped, "failed": failed, "held": held, "notes": notes}
