"""Tests of the deterministic sample data writer (small: 300 tickets a month)."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from sscard_analysis.ingest.ledgers import LEDGERS, ledger_for_prefix
from sscard_analysis.privacy import id_check_digit
from sscard_analysis.ingest.sample import write_sample

SMALL = 300


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("sample") / "raw"
    counts = write_sample(out, seed=7, tickets_per_month=SMALL)
    return out, counts


def _cells(path: Path) -> list[tuple]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return [tuple(row) for row in wb.worksheets[0].iter_rows(values_only=True)]
    finally:
        wb.close()


def test_every_ledger_has_a_file_with_its_chinese_prefix(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    files = [p for p in out.iterdir() if p.suffix in (".xlsx", ".csv")]
    for ledger in LEDGERS.values():
        mine = [p for p in files if p.stem.startswith((ledger.zh, *ledger.aliases))]
        assert mine, f"no file for {ledger.name}"
        assert all(ledger_for_prefix(p.stem) is ledger for p in mine), ledger.name
    assert len([p for p in files if p.stem.startswith("工单台账")]) == 12


def test_counts_are_positive_for_every_ledger(sample_dir: tuple[Path, dict[str, int]]) -> None:
    _, counts = sample_dir
    assert set(counts) == set(LEDGERS)
    assert all(n > 0 for n in counts.values()), counts
    assert counts["staff"] >= 41
    assert 12 * SMALL * 0.9 < counts["tickets"] < 12 * SMALL * 1.5


def test_toml_and_csv_encodings(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    contract = tomllib.loads((out / "sscard.toml").read_text(encoding="utf-8"))["contract"]
    assert contract["start"] == date(2024, 3, 1)
    assert contract["end"] == date(2025, 2, 28)
    assert contract["price_yuan"] == 4980000
    assert contract["promised_turnover_rate"] == pytest.approx(0.10)
    assert (out / "电话巡检记录.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    gbk = (out / "服务指引检查记录.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        gbk.decode("utf-8")
    assert gbk.decode("gbk").startswith("编号,检查时间,检查渠道")


def test_ticket_file_has_banner_header_and_total_row(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, counts = sample_dir
    rows = _cells(out / "工单台账2024年05月.xlsx")
    assert rows[0][0] == "2024年5月社保卡工单台账"
    assert "工单编号（必填）" in rows[1]
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == len(rows) - 3


def test_same_seed_gives_identical_output(tmp_path: Path, sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, counts = sample_dir
    again = write_sample(tmp_path / "again", seed=7, tickets_per_month=SMALL)
    assert again == counts
    for name in ("电话巡检记录.csv", "服务指引检查记录.csv"):
        assert (tmp_path / "again" / name).read_bytes() == (out / name).read_bytes()
    for name in ("工单台账2024年07月.xlsx", "人员名册.xlsx"):
        assert _cells(tmp_path / "again" / name) == _cells(out / name)
    other = write_sample(tmp_path / "other", seed=8, tickets_per_month=SMALL)
    assert _cells(tmp_path / "other" / "工单台账2024年07月.xlsx") != _cells(out / "工单台账2024年07月.xlsx")
    assert set(other) == set(counts)


def test_id_numbers_mostly_pass_the_check_digit(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    ids: list[str] = []
    for path in sorted(out.glob("工单台账*.xlsx")):
        rows = _cells(path)
        col = rows[1].index("身份证号")
        ids += [r[col] for r in rows[2:-1] if isinstance(r[col], str) and len(r[col]) == 18]
    assert len(ids) > 1000
    ok = [i for i in ids if id_check_digit(i[:17]) == i[17]]
    assert len(ok) / len(ids) > 0.98
    assert len(ok) < len(ids)  # the sample carries a few wrong check digits on purpose
    assert all(i.startswith("4401") and 1940 <= int(i[6:10]) <= 2005 for i in ok)
