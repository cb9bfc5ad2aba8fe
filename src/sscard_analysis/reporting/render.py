"""Run a report notebook and publish it as HTML, PDF and Excel.

papermill executes the parameterized notebook (unknown parameter names are
an error here, papermill only warns); nbconvert renders the outputs without
code; the page gets a Chinese title block, a table of contents and print
CSS; WeasyPrint turns that HTML into an A4 PDF with the CJK font embedded;
xlsxwriter writes the workbook. Everything is written to a temporary folder
(``.tmp-<pid>-…`` in the output folder; those of dead runs are removed by the
next run) and moved into place only when every format succeeded: a failed
run publishes nothing and keeps the executed notebook, with its error, under
``reports/_failed/`` for diagnosis.

Every page is scrubbed (ID and phone patterns masked, whatever the column
they came from) and its notebook cell ids are numbered, so the same report
rendered twice differs only in its 生成时间 line. The published report is
recorded in the manifest with its fingerprint and formats
(:mod:`.manifest`).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import nbformat

from ..config import PROJ_ROOT, load_settings, report_notebooks_dir
from ..dates.periods import check_period, parse_period
from ..privacy import scrub_text
from .context import KINDS, build_context, report_filename
from .manifest import (  # noqa: F401 - read_manifest and MANIFEST are part of this module's interface
    MANIFEST,
    Published,
    ReportError,
    ReportInputs,
    read_manifest,
    record_manifest,
    require_ledgers,
)
from .workbook import excel_sheets

FORMATS = ("html", "pdf", "xlsx")  # every format a report is published in (the one list; run-due makes them all)
TMP_PREFIX = ".tmp-"


def notebook_path(kind: str) -> Path:
    """The template of a kind of report (found through :func:`..config.report_notebooks_dir`)."""
    return report_notebooks_dir() / f"{kind}.ipynb"


def template(kind: str) -> bytes:
    """The template of a kind of report, as bytes (part of every report's fingerprint)."""
    path = notebook_path(kind)
    try:
        return path.read_bytes()
    except OSError:
        raise ReportError(f"找不到报告模板 {path}（可用环境变量 SSCARD_REPORT_NOTEBOOKS 指向模板文件夹）") from None


def parse_formats(formats: str | tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The requested formats, checked: ``"html,pdf"`` or a sequence; duplicates dropped, order of :data:`FORMATS`.

    Raises ReportError for an empty list (``--format ","`` would publish
    nothing) or an unknown format.
    """
    items = formats.split(",") if isinstance(formats, str) else list(formats)
    wanted = [f.strip().lower() for f in items if f and f.strip()]
    if not wanted:
        raise ReportError(f"没有指定输出格式；可用 {','.join(FORMATS)}")
    bad = [f for f in wanted if f not in FORMATS]
    if bad:
        raise ReportError(f"未知格式 {', '.join(bad)}；可用 {', '.join(FORMATS)}")
    return tuple(f for f in FORMATS if f in wanted)


def prepare_out_dir(out_dir: Path) -> None:
    """Create the output folder and make sure it can be written (ReportError in one line otherwise)."""
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise ReportError(f"--out {out_dir}: 是一个文件，不是文件夹")
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=TMP_PREFIX + f"{os.getpid()}-probe-")
        probe.close()
    except ReportError:
        raise
    except OSError as exc:
        raise ReportError(f"--out {out_dir}: 无法写入（{exc.strerror or exc}）") from None


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def clean_stale_tmp(out_dir: Path, older_than_s: float = 24 * 3600) -> list[Path]:
    """Remove the ``.tmp-<pid>-…`` folders of runs whose process is gone (a killed ``report``).

    A folder named without a process id (an older version) is removed once
    it is a day old. Returns the folders removed.
    """
    removed = []
    for path in Path(out_dir).glob(TMP_PREFIX + "*"):
        m = re.match(re.escape(TMP_PREFIX) + r"(\d+)-", path.name)
        stale = (not _pid_alive(int(m[1]))) if m else (time.time() - path.stat().st_mtime > older_than_s)
        if stale and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def notebook_parameters(path: Path) -> list[str]:
    """Names assigned in the cell tagged ``parameters``."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            names = re.findall(r"^(\w+)\s*(?::[^=]+)?=", cell.source, re.M)
            return names
    raise ReportError(f"{path.name}: 没有标记为 parameters 的单元格")


def check_parameters(path: Path, params: dict) -> None:
    """Refuse parameter names the notebook does not declare (papermill would only warn)."""
    known = notebook_parameters(path)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ReportError(f"{path.name}: 未知参数 {', '.join(unknown)}；可用参数: {', '.join(known)}")


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


def execute(kind: str, params: dict, out: Path, kernel_name: str = "python3", km=None) -> nbformat.NotebookNode:
    """Execute the report notebook with papermill into ``out`` (raises ReportError on failure).

    With ``km`` (from :func:`kernel`) the notebook runs in that already running kernel.
    """
    import papermill as pm

    src = notebook_path(kind)
    check_parameters(src, params)
    extra = {"km": km} if km is not None else {"extra_arguments": KERNEL_ARGS}
    try:
        pm.execute_notebook(str(src), str(out), parameters=params, kernel_name=kernel_name, progress_bar=False,
                            cwd=str(PROJ_ROOT), log_output=False, **extra)
    except pm.PapermillExecutionError as exc:
        raise ReportError(f"{src.name} 执行失败（{exc.ename}: {str(exc.evalue)[:200]}）") from None
    return nbformat.read(out, as_version=4)


PAGE_CSS = """
@page { size: A4; margin: 18mm 15mm 18mm 15mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 8pt; color: #666; } }
html { font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 10pt; color: #222; line-height: 1.5; }
body { margin: 0 auto; max-width: 1100px; padding: 0 12px; }
h1 { font-size: 20pt; margin: 0 0 6px; color: #16325c; }
h2 { font-size: 14pt; color: #16325c; border-bottom: 2px solid #1f5aa6; padding-bottom: 2px; margin-top: 22px; break-after: avoid; }
h3 { font-size: 11.5pt; color: #16325c; margin: 14px 0 4px; break-after: avoid; }
.cover { border-left: 6px solid #1f5aa6; padding: 6px 12px; margin: 10px 0 14px; background: #f3f6fb; }
.meta { color: #555; font-size: 9pt; margin: 2px 0; }
nav.toc { font-size: 9.5pt; margin: 8px 0 16px; break-after: page; }
nav.toc ol { margin: 0; padding-left: 20px; columns: 2; }
table { border-collapse: collapse; margin: 6px 0 10px; font-size: 8.5pt; width: 100%; break-inside: auto; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th { background: #dde6f3; text-align: left; font-weight: bold; }
th, td { border: 1px solid #c9d3e0; padding: 2px 5px; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
td.status, th { white-space: nowrap; }
table.indicators td:nth-child(2) { min-width: 9em; }
td.status.ok { color: #1e7b3c; font-weight: bold; } td.status.warn { color: #a06800; font-weight: bold; }
td.status.bad { color: #b02020; font-weight: bold; } td.status.na { color: #777; }
figure { margin: 6px 0 12px; break-inside: avoid; } figure img { max-width: 100%; }
.note, .nodata { color: #666; font-size: 8.5pt; }
ol.findings li { margin-bottom: 6px; }
.jp-OutputArea-output, .output_html { overflow: visible; }
"""


def page_html(body: str, title: str) -> str:
    """A standalone page: title, table of contents built from the section headings, print CSS. No scripts."""
    body = re.sub(r'<a class="anchor-link"[^>]*>.*?</a>', "", body, flags=re.S)
    heads = []

    def number(m: re.Match) -> str:
        heads.append(re.sub(r"<[^>]+>", "", m.group(2)).strip())
        return f'<h2 id="sec-{len(heads)}">{m.group(2)}</h2>'

    body = re.sub(r"<h2\b([^>]*)>(.*?)</h2>", number, body, flags=re.S)
    toc = "".join(f'<li><a href="#sec-{i}">{html.escape(text)}</a></li>' for i, text in enumerate(heads, 1))
    nav = f'<nav class="toc"><strong>目录</strong><ol>{toc}</ol></nav>' if toc else ""
    if '<div class="cover">' in body:  # the table of contents goes right after the cover block
        end = body.index("</div>", body.index('<div class="cover">')) + len("</div>")
        body = body[:end] + nav + body[end:]
    else:
        body = nav + body
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"/><title>{html.escape(title)}</title>'
            f"<style>{PAGE_CSS}</style></head><body>{body}</body></html>")


def scrub_page(page: str) -> str:
    """Mask ID and phone patterns in every text of a page (images in ``data:`` URIs are left alone)."""
    parts = re.split(r"(data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+)", page)
    return "".join(p if i % 2 else scrub_text(p) for i, p in enumerate(parts))


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as a standalone page without code, prompts, CDN scripts or stderr streams.

    Cell ids are numbered in order (papermill gives its injected cell a
    random one), and the page is scrubbed of personal data patterns.
    """
    from nbconvert import HTMLExporter

    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
    return scrub_page(page_html(body, title))


def to_pdf(page: str, out: Path) -> None:
    """A4 PDF with embedded font subsets (WeasyPrint)."""
    from weasyprint import HTML

    HTML(string=page, base_url=str(PROJ_ROOT)).write_pdf(str(out))


def write_excel(ctx, out: Path) -> None:
    from .excel import Workbook

    wb = Workbook(out)
    try:
        for name, frame, percent in excel_sheets(ctx):
            wb.sheet(name, frame, percent)
    finally:
        wb.close()


def run_report(kind: str, period: str, data_dir: str | Path, out_dir: str | Path, formats: tuple[str, ...] | str = FORMATS,
               as_of: str | None = None, kernel_name: str = "python3", manifest: bool = True, km=None) -> Published:
    """Produce one report in every requested format, published atomically under ``out_dir/<period>/``.

    The period label is normalised and must fit the kind (a 月报 is about a
    month); a data folder without any ledger is refused. With ``manifest``
    the report is recorded in ``out_dir/manifest.json`` as soon as it is
    published.
    """
    if kind not in KINDS:
        raise ReportError(f"报告类型应为 {', '.join(KINDS)} 之一")
    formats = parse_formats(formats)
    template(kind)
    out_dir = Path(out_dir)
    data_dir = Path(data_dir).resolve()
    settings = load_settings(data_dir)
    check_period(parse_period(period, settings, as_of or None), settings, kind)
    prepare_out_dir(out_dir)
    clean_stale_tmp(out_dir)
    ctx = build_context(kind, period, data_dir, as_of)  # reads the data
    require_ledgers(ctx.ds)
    label = ctx.period.label
    params = {"period": label, "data_dir": str(data_dir), "as_of": as_of or ""}
    inputs = ReportInputs(ctx.ds)
    digest = inputs.fingerprint(kind, ctx.period, template(kind))
    final_dir = out_dir / label
    tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=out_dir))
    try:
        executed = tmp / report_filename(kind, label, "ipynb")
        files = []
        nb = None
        if "html" in formats or "pdf" in formats:
            try:
                nb = execute(kind, params, executed, kernel_name, km)
            except ReportError:
                failed = out_dir / "_failed"
                failed.mkdir(exist_ok=True)
                if executed.exists():
                    shutil.copy2(executed, failed / executed.name)
                raise
            page = to_html(nb, ctx.title)
            if "html" in formats:
                (tmp / report_filename(kind, label, "html")).write_text(page, encoding="utf-8")
                files.append(report_filename(kind, label, "html"))
            if "pdf" in formats:
                to_pdf(page, tmp / report_filename(kind, label, "pdf"))
                files.append(report_filename(kind, label, "pdf"))
        if "xlsx" in formats:
            write_excel(ctx, tmp / report_filename(kind, label, "xlsx"))
            files.append(report_filename(kind, label, "xlsx"))
        final_dir.mkdir(parents=True, exist_ok=True)
        published = []
        for name in files:
            os.replace(tmp / name, final_dir / name)
            published.append(final_dir / name)
        result = Published(kind, label, published, digest, params, formats, inputs.input_files(ctx.period))
        if manifest:
            record_manifest(out_dir, result)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
