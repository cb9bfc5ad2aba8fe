"""Notebooks are committed without outputs, and report templates stay thin."""

from pathlib import Path

import nbformat
import pytest

from sscard_analysis.config import report_notebooks_dir

ROOT = Path(__file__).resolve().parents[1]
# The report templates ship inside the package (notebooks/reports in a checkout links to them).
NOTEBOOKS = sorted((ROOT / "notebooks" / "explore").glob("*.ipynb")) + sorted(report_notebooks_dir().glob("*.ipynb"))


def test_report_templates_are_package_data_linked_from_notebooks():
    assert report_notebooks_dir() == ROOT / "src" / "sscard_analysis" / "notebooks" / "reports"
    assert (ROOT / "notebooks" / "reports").resolve() == report_notebooks_dir()


def test_there_are_notebooks():
    names = {p.stem for p in NOTEBOOKS}
    assert {"weekly", "monthly", "quarterly", "annual", "trends", "incidents", "topics", "repeats", "satisfaction", "outlets"} <= names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:40]


@pytest.mark.parametrize("path", [p for p in NOTEBOOKS if p.parent.name == "reports"], ids=lambda p: p.name)
def test_report_templates_are_thin(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", [])
    for cell in code:
        assert "def " not in cell.source and "import pandas" not in cell.source
        assert len(cell.source.strip().splitlines()) <= 4, cell.source
