"""Which reports are due, and run-due's skip/re-run behaviour and lock."""

from datetime import date

import pytest

from sscard_analysis.config import Settings
from sscard_analysis.reporting.schedule import Busy, closed_periods, exclusive, run_due
from sscard_analysis.ingest.sample import write_sample

S = Settings(start=date(2024, 3, 1))


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
        with pytest.raises(Busy):
            with exclusive(tmp_path):
                pass


def test_run_due_renders_then_skips_then_reruns_on_change(tmp_path):
    data = tmp_path / "data"
    write_sample(data, seed=5, tickets_per_month=60)
    out = tmp_path / "reports"
    first = run_due(data, out, today=date(2024, 3, 12), progress=False)
    assert first["done"] == ["weekly:2024-W09", "weekly:2024-W10"] and not first["failed"]
    assert (out / "2024-W10" / "社保卡服务周报_2024-W10.pdf").is_file()
    again = run_due(data, out, today=date(2024, 3, 12), progress=False)
    assert again["done"] == [] and sorted(again["skipped"]) == ["weekly:2024-W09", "weekly:2024-W10"]
    (data / "培训与宣讲记录.xlsx").write_bytes((data / "培训与宣讲记录.xlsx").read_bytes() + b"")  # same bytes: still fresh
    assert run_due(data, out, today=date(2024, 3, 12), progress=False)["done"] == []
    (data / "sscard.toml").write_text((data / "sscard.toml").read_text(encoding="utf-8") + "\n", encoding="utf-8")
    (data / "extra").mkdir()
    (data / "extra" / "工单台账_补录.csv").write_text("工单编号,来源渠道,受理时间,诉求类型\nX1,12345,2024-03-05 10:00,咨询\n", encoding="utf-8")
    rerun = run_due(data, out, today=date(2024, 3, 12), progress=False)
    assert rerun["done"] == ["weekly:2024-W09", "weekly:2024-W10"]
