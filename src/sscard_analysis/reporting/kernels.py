"""The report's kernel: started first (before this process loads pandas), warmed up, and spoken to.

``sscard report`` starts its kernel as the program's first step
(:func:`prestart`), so the kernel boots and imports the report code while
this process loads its own modules and reads the data; :func:`take_prestarted`
hands it to the renderer. :class:`KernelLink` carries the runner's own
requests. This module loads no pandas: it must be cheap to import.
"""

from __future__ import annotations

import inspect
import queue
import time
from contextlib import contextmanager
from pathlib import Path

from ..config import PROJ_ROOT

KERNEL_ARGS = ["--IPKernelApp.log_level=CRITICAL"]  # no connection-security or shutdown chatter on the console


@contextmanager
def kernel(kernel_name: str = "python3"):
    """One running kernel for several reports in a row (imports and parsed data stay warm)."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_core.utils import run_sync

    km = AsyncKernelManager(kernel_name=kernel_name)
    run_sync(km.start_kernel)(cwd=str(PROJ_ROOT), extra_arguments=KERNEL_ARGS)
    try:
        yield km
    finally:
        run_sync(km.shutdown_kernel)(now=True)


WARM_UP = "import scipy.stats, sscard_analysis.reporting.narrative, sscard_analysis.reporting.report"  # most of a kernel's start


class KernelLink:
    """This process's own line to the report's kernel: warm-up, the hand-over of the context, the Word copy.

    The kernel runs requests in the order they come; only the shell replies
    of awaited ones are read (others are skipped). No IOPub subscription, so
    none of the 0.2 s IOPub flush ``wait_for_ready`` makes on every new client;
    a request sent while the kernel still starts waits in the queue. Used
    from one thread at a time.
    """

    def __init__(self, km) -> None:
        """Connect and ask for the warm-up at once (its reply is not awaited: it only saves time)."""
        from jupyter_client.blocking import BlockingKernelClient

        self.km = km
        self._abandoned = False
        self.kc = BlockingKernelClient()
        self.kc.load_connection_info(km.get_connection_info())
        self.kc.start_channels(shell=True, iopub=False, stdin=False, hb=False, control=False)
        self.send(WARM_UP)

    def send(self, code: str) -> str:
        """Queue ``code`` for the kernel; returns the request's id for :meth:`wait`."""
        return self.kc.execute(code, silent=True, store_history=False, allow_stdin=False)

    def wait(self, msg_id: str, timeout: float = 600) -> None:
        """Wait for a request's reply; ReportError with the kernel's error if it failed.

        Also ReportError, at once, if the kernel has died (checked every second)
        or the runner gave up (:meth:`abandon`); after ``timeout`` with the kernel
        still working, a ReportError whose ``still_running`` is True.
        """
        from .manifest import ReportError

        deadline = time.monotonic() + timeout
        while True:
            if self._abandoned:
                raise ReportError("报告已中止")
            try:
                reply = self.kc.get_shell_msg(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                if not self._kernel_alive():
                    raise ReportError("报告内核已退出（可能内存不足）") from None
                if time.monotonic() >= deadline:
                    exc = ReportError(f"报告内核 {timeout:.0f} 秒内无响应")
                    exc.still_running = True
                    raise exc from None
                continue
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                break
        content = reply["content"]
        if content.get("status") != "ok":
            raise ReportError(f"报告内核执行失败（{content.get('ename')}: {str(content.get('evalue'))[:200]}）")

    def _kernel_alive(self) -> bool:
        try:
            alive = self.km.is_alive()
            if inspect.isawaitable(alive):
                from jupyter_core.utils import run_sync

                async def poll():
                    return await alive

                alive = run_sync(poll)()
            return bool(alive)
        except Exception:  # noqa: BLE001 - unknown: wait until the deadline
            return True

    def abandon(self) -> None:
        """Stop waiting (the report failed or was interrupted): a thread waiting on a reply returns at once."""
        self._abandoned = True

    def call(self, code: str, timeout: float = 600) -> None:
        """Run ``code`` in the kernel and wait for it (see :meth:`wait`)."""
        self.wait(self.send(code), timeout)

    def give_context(self, path: Path) -> None:
        """Queue the kernel's taking of the context saved at ``path`` (:func:`.context.hand_over`; the kernel
        deletes the file): the notebook, queued after it, then does not read the data and compute the KPIs again.

        The reply is not awaited: requests run in order, and a kernel that could not take it leaves the
        notebook to build its own (slower, same result).
        """
        self.send(f"__import__('sscard_analysis.reporting.context', fromlist=['adopt']).adopt({_where(path)!r})")

    def write_docx(self, page_file: Path, out: Path, title: str, author: str) -> None:
        """The Word document, written by the kernel (idle once the notebook ran) while this process prints the PDF."""
        self.call(f"__import__('sscard_analysis.reporting.word', fromlist=['write_docx_file'])"
                  f".write_docx_file({_where(page_file)!r}, {_where(out)!r}, {title!r}, {author!r})")

    def write_workbook(self, out: Path) -> None:
        """The Excel workbook, written by the kernel from the context it took (after the Word copy)."""
        self.call(f"__import__('sscard_analysis.reporting.workbook', fromlist=['write_adopted_workbook'])"
                  f".write_adopted_workbook({_where(out)!r})")

    def close(self) -> None:
        self.kc.stop_channels()


def _where(path: Path) -> str:
    """A path as the kernel must see it: absolute (the kernel runs in the project folder, not this process's)."""
    return str(Path(path).resolve())


_prestarted: list[tuple[str, object, object, KernelLink]] = []  # (name, context manager, kernel manager, link), not yet taken


def prestart(kernel_name: str = "python3") -> None:
    """Start a report kernel and ask for its warm-up now (``sscard report``'s first step).

    A failure is left for the renderer, which starts its own kernel and says what is wrong.
    """
    try:
        cm = kernel(kernel_name)
        km = cm.__enter__()
    except Exception:  # noqa: BLE001
        return
    try:
        link = KernelLink(km)
    except BaseException as exc:
        cm.__exit__(None, None, None)
        if isinstance(exc, Exception):
            return
        raise
    _prestarted.append((kernel_name, cm, km, link))


def take_prestarted(kernel_name: str):
    """(context manager, kernel manager, link) of a kernel :func:`prestart` started, or None; the taker shuts it down."""
    for i, (name, cm, km, link) in enumerate(_prestarted):
        if name == kernel_name:
            del _prestarted[i]
            return cm, km, link
    return None


def discard_prestarted() -> None:
    """Shut down a started kernel nobody took (the command stopped before its report ran)."""
    while _prestarted:
        _name, cm, _km, link = _prestarted.pop()
        link.close()
        cm.__exit__(None, None, None)
