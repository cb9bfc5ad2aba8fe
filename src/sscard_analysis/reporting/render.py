"""Run a report notebook and publish it as HTML, PDF and Excel.

papermill executes the parameterized notebook (unknown parameter names are
an error here, papermill only warns); nbconvert renders the outputs without
code; the page gets a Chinese title block, a table of contents and print
CSS; WeasyPrint turns that HTML into an A4 PDF with the CJK font embedded;
xlsxwriter writes the workbook. Everything is written to a temporary folder
and moved into place only when every format succeeded: a failed run
publishes nothing and keeps the executed notebook, with its error, under
``reports/_failed/`` for diagnosis.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat

from ..config import NOTEBOOKS_DIR, PROJ_ROOT
from .context import KINDS, build_context, report_filename
from .workbook import excel_sheets

REPORT_NOTEBOOKS = NOTEBOOKS_DIR / "reports"
FORMATS = ("html", "pdf", "xlsx")
MANIFEST = "manifest.json"
RENDER_VERSION = "1"


class ReportError(RuntimeError):
    """A report could not be produced (the message says why, in one line)."""


@dataclass
class Published:
    kind: str
    period: str
    files: list[Path]
    inputs_hash: str
    params: dict


def notebook_path(kind: str) -> Path:
    return REPORT_NOTEBOOKS / f"{kind}.ipynb"


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


def inputs_hash(input_hashes: dict[str, str], params: dict, kind: str) -> str:
    """One hash of everything a report depends on: input files, parameters, notebook and package version."""
    h = hashlib.sha256()
    for rel in sorted(input_hashes):
        h.update(f"{rel}\0{input_hashes[rel]}\n".encode())
    h.update(json.dumps(params, sort_keys=True).encode())
    h.update(notebook_path(kind).read_bytes())
    h.update(RENDER_VERSION.encode())
    return h.hexdigest()


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


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """The executed notebook as a standalone page without code, prompts, CDN scripts or stderr streams."""
    from nbconvert import HTMLExporter

    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not (o.get("output_type") == "stream" and o.get("name") == "stderr")]
    exporter = HTMLExporter(template_name="basic", exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.S)
    body = re.sub(r' id="cell-id=[^"]*"', "", body)  # papermill's injected cell has a random id: same inputs, same page
    return page_html(body, title)


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


def run_report(kind: str, period: str, data_dir: str | Path, out_dir: str | Path, formats: tuple[str, ...] = FORMATS,
               as_of: str | None = None, kernel_name: str = "python3", manifest: bool = True, km=None) -> Published:
    """Produce one report in every requested format, published atomically under ``out_dir/<period>/``."""
    if kind not in KINDS:
        raise ReportError(f"报告类型应为 {', '.join(KINDS)} 之一")
    bad = [f for f in formats if f not in FORMATS]
    if bad:
        raise ReportError(f"未知格式 {', '.join(bad)}；可用 {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    data_dir = Path(data_dir).resolve()
    params = {"period": period, "data_dir": str(data_dir), "as_of": as_of or ""}
    ctx = build_context(kind, period, data_dir, as_of)  # also validates the period and reads the data
    label = ctx.period.label
    final_dir = out_dir / label
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=out_dir))
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
        digest = inputs_hash(ctx.ds.input_hashes, params, kind)
        final_dir.mkdir(parents=True, exist_ok=True)
        published = []
        for name in files:
            os.replace(tmp / name, final_dir / name)
            published.append(final_dir / name)
        result = Published(kind, label, published, digest, params)
        if manifest:
            record_manifest(out_dir, result)
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def record_manifest(out_dir: Path, result: Published) -> None:
    """Provenance: parameters, input hash and files of every published report (``reports/manifest.json``)."""
    path = out_dir / MANIFEST
    data = read_manifest(out_dir)
    data[f"{result.kind}:{result.period}"] = {
        "kind": result.kind, "period": result.period, "inputs_hash": result.inputs_hash, "parameters": result.params,
        "files": [str(f.relative_to(out_dir)) for f in result.files], "generated_at": datetime.now().replace(microsecond=0).isoformat()}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)


def read_manifest(out_dir: Path) -> dict:
    path = Path(out_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError:
        return {}
