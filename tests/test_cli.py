"""The sscard command line: fixed JSON keys, exit codes, one-line errors."""

import json

import openpyxl
import pytest

from sscard_analysis.cli import main
from sscard_analysis.ingest.sample import write_sample

SECTION4 = [
    "period.label", "period.start", "period.end", "period.as_of",
    "hotline.tickets_received", "hotline.tickets_due", "hotline.closed_on_time", "hotline.on_time_rate",
    "hotline.overdue_open", "hotline.satisfaction_rate", "hotline.rated", "all_channels.tickets_received",
    "outlet_inspections.count", "outlet_inspections.outlets_covered", "phone_checks.count", "trainings.internal",
    "trainings.external", "trainings.outreach", "publications.articles", "publications.copies_printed",
    "guide_checks.count", "documents.late", "documents.late_days", "penalties.total_yuan", "penalties.items",
    "data_quality.quarantined_rows",
]


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("sample")
    write_sample(d, seed=7, tickets_per_month=80)
    return d


def test_kpi_json_has_every_fixed_key(sample, capsys):
    assert main(["kpi", "--data", str(sample), "--period", "2024-05", "--json"]) == 0
    k = json.loads(capsys.readouterr().out)
    for dotted in SECTION4:
        v = k
        for part in dotted.split("."):
            assert part in v, dotted
            v = v[part]
    assert k["period"] == {"label": "2024-05", "start": "2024-05-01", "end": "2024-05-31", "as_of": "2024-05-31T23:59:59"}
    assert sum(k["by_channel"].values()) == k["all_channels"]["tickets_received"]
    assert all(set(i) >= {"rule", "clause", "basis", "amount_yuan"} for i in k["penalties"]["items"])
    assert k["penalties"]["total_yuan"] == pytest.approx(sum(i["amount_yuan"] for i in k["penalties"]["items"]))
    assert set(k["indicators"]) == {f"A{i}" for i in range(1, 22)}


def test_kpi_table_is_chinese(sample, capsys):
    assert main(["kpi", "--data", str(sample), "--period", "2024-W18"]) == 0
    out = capsys.readouterr().out
    assert "按时办结率" in out and "【合同指标 A1–A21】" in out and "【违约金】" in out


def test_validate_exit_codes(sample, tmp_path, capsys):
    assert main(["validate", "--data", str(sample), "--out", str(tmp_path / "q")]) == 1  # the sample has bad rows
    assert (tmp_path / "q" / "quarantine.csv").read_text(encoding="utf-8-sig").startswith("文件,工作表,行号,台账,原因")
    clean = tmp_path / "clean"
    clean.mkdir()
    (clean / "培训.csv").write_text("编号,日期,类型\n1,2024-05-06,内部培训\n", encoding="utf-8")
    assert main(["validate", "--data", str(clean), "--out", str(tmp_path / "q2")]) == 0
    broken = tmp_path / "broken"
    broken.mkdir()
    wb = openpyxl.Workbook()
    wb.active.append(["工单编号", "来源渠道", "诉求类型"])
    wb.save(broken / "工单台账.xlsx")
    capsys.readouterr()
    assert main(["validate", "--data", str(broken)]) == 2
    err = capsys.readouterr().err.strip()
    errors = [line for line in err.splitlines() if not line.startswith("提示: ")]  # the note that defaults are used
    assert len(errors) == 1 and "工单台账.xlsx" in err and "受理时间(received_at)" in err and "Traceback" not in err


def test_bad_period_is_one_line(sample, capsys):
    assert main(["kpi", "--data", str(sample), "--period", "2024-13"]) == 2
    assert capsys.readouterr().err.strip() == "错误: 2024-13: 月份应为 01–12"


def test_alerts_near_deadline(sample, capsys):
    assert main(["alerts", "--data", str(sample), "--as-of", "2024-05-20T10:00", "--json"]) == 0
    a = json.loads(capsys.readouterr().out)
    assert set(a["tickets"]["by_band"]) == {"已逾期", ">95%", "85–95%", "75–85%", "50–75%"}
    assert sum(a["tickets"]["by_band"].values()) == len(a["tickets"]["items"])
    assert all(i["used"] >= 0.5 for i in a["tickets"]["items"])


@pytest.mark.parametrize("argv, wanted", [
    (["report", "monthly", "--period", "2024-07"], True),
    (["report", "monthly", "--period", "2024-07", "--format", "xlsx"], False),
    (["report", "monthly", "--format=xlsx,pdf"], True),
    (["report", "monthly", "--format", "XLSX,DOCX"], True),
    (["report", "--help"], False),
    (["kpi", "--period", "2024-07"], False),
    ([], False),
])
def test_only_a_report_that_runs_its_notebook_starts_a_kernel_first(argv, wanted):
    from sscard_analysis.cli import wants_report_kernel

    assert wants_report_kernel(argv) is wanted
