"""The operations commands on a generated sample: ``banks``, ``plan-inspections``, ``letters``."""

import json
import re

import openpyxl
import pytest

from sscard_analysis.cli import main
from sscard_analysis.ingest.sample import write_sample


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("ops-sample")
    write_sample(d, seed=5, tickets_per_month=40)
    return d


def test_banks_ranks_the_15_banks_with_intervals(sample, tmp_path, capsys, sscard_cache):
    assert main(["banks", "--period", "contract", "--data", str(sample), "--out", str(tmp_path), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    banks = out["banks"]
    assert len(banks) == 15 and sorted(b["rank"] for b in banks) == list(range(1, 16))
    assert all(b["score_low"] <= b["score"] <= b["score_high"] for b in banks)
    assert all(b["answer_rate_low"] <= b["answer_rate"] <= b["answer_rate_high"] for b in banks)
    assert sum(out["weights"].values()) == pytest.approx(1)
    wb = openpyxl.load_workbook(tmp_path / "banks" / "银行网点考核_contract.xlsx", read_only=True)
    assert wb.sheetnames == ["银行排名", "网点明细", "说明"]
    # the table form
    assert main(["banks", "--period", "contract", "--data", str(sample), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    assert "综合得分（区间）" in text and all(b["bank"] in text for b in banks)


def test_plan_inspections_prints_coverage_and_margin(sample, tmp_path, capsys, sscard_cache):
    assert main(["plan-inspections", "--from", "2024-11-01", "--weeks", "2", "--data", str(sample), "--out", str(tmp_path)]) == 0
    text = capsys.readouterr().out
    m = re.search(r"预计服务年度覆盖网点 ([\d,]+) 个，目标 2,200 个（表1 #9），(余量|缺口) ([\d,]+) 个", text)
    assert m, text
    assert (tmp_path / "inspections" / "网点检查计划_2024-11-01.xlsx").is_file()
    assert (tmp_path / "inspections" / "网点检查表_2024-11-01.xlsx").is_file()


def test_letters_writes_one_docx_per_bank(sample, tmp_path, capsys, sscard_cache):
    assert main(["letters", "--period", "2024-05", "--data", str(sample), "--out", str(tmp_path), "--date", "2024-06-03"]) == 0
    files = sorted((tmp_path / "letters" / "2024-05").glob("*.docx"))
    assert files and all(f.name.startswith("致") for f in files)
    assert f"{len(files)} 份" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["plan-inspections", "--from", "2024-13-01"], "应为日期"),
    (["plan-inspections", "--from", "2026-01-05"], "不在服务期"),
    (["banks", "--period", "2024-13"], "月份"),
])
def test_bad_arguments_are_one_chinese_line(sample, tmp_path, capsys, sscard_cache, argv, message):
    assert main([*argv, "--data", str(sample), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
