"""The architecture is checked: the import-linter layers contract of pyproject.toml holds (README "Layout")."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(cwd: Path, src: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run([str(LINT), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_layers_contract_is_kept():
    r = _lint(ROOT, ROOT / "src")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1 kept, 0 broken" in r.stdout


def test_an_upward_import_breaks_the_contract_naming_both_modules(tmp_path):
    # A copy of the package in which the reader imports report content: ingest may not import reporting.
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    reader = tmp_path / "src" / "sscard_analysis" / "ingest" / "reader.py"
    reader.write_text(reader.read_text(encoding="utf-8") + "\nfrom ..reporting import report  # noqa: E402\n", encoding="utf-8")
    r = _lint(tmp_path, tmp_path / "src")
    assert r.returncode == 1, r.stdout + r.stderr
    assert "sscard_analysis.ingest is not allowed to import sscard_analysis.reporting" in r.stdout
    assert "sscard_analysis.ingest.reader -> sscard_analysis.reporting.report" in r.stdout


def test_the_package_s_public_names_load_on_first_use():
    # `import sscard_analysis` is light (a report starts its kernel before pandas is loaded); every public name
    # still resolves to the object of the module that defines it.
    code = "import sys, sscard_analysis; print('pandas' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"
    import sscard_analysis

    for name in sscard_analysis.__all__:
        module = importlib.import_module(f"sscard_analysis.{sscard_analysis._EXPORTS[name]}")
        assert getattr(sscard_analysis, name) is getattr(module, name)
    with pytest.raises(AttributeError):
        sscard_analysis.no_such_name  # noqa: B018
