"""The command line under hostile input and unattended use (issue 13): one Chinese line per error, exit codes,
nothing personal in what it prints or writes."""

import csv
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from sscard_analysis.cli import build_parser, data as cli_data, main
from sscard_analysis.ingest.sample import write_sample

PHONE, ID = "13812345678", "440106199001011234"


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    d = tmp_path_factory.mktemp("sample")
    write_sample(d, seed=11, tickets_per_month=40)
    return d


def _tickets(folder: Path, rows: str, toml: str | None = "[contract]\nstart = 2024-03-01\n", name: str = "工单台账.csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text("工单编号,来源渠道,受理时间,诉求类型,业务类别\n" + rows, encoding="utf-8")
    if toml is not None:
        (folder / "sscard.toml").write_text(toml, encoding="utf-8")
    return folder


def _run(capsys, *argv) -> tuple[int, str, str]:
    capsys.readouterr()
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _errors(err: str) -> list[str]:
    lines = [line for line in err.splitlines() if line.strip()]
    assert "Traceback" not in err
    assert all(line.startswith(("错误: ", "提示: ")) for line in lines), lines
    return [line for line in lines if line.startswith("错误: ")]


# ---------------------------------------------------------------- 13.1 no ledger, no report


@pytest.mark.parametrize("argv", [["validate"], ["kpi", "--period", "2024-05"], ["alerts", "--as-of", "2024-05-20"],
                                  ["report", "monthly", "--period", "2024-05"]])
def test_a_folder_without_ledgers_is_an_error(tmp_path, capsys, argv):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "说明.docx").write_bytes(b"x")
    code, _, err = _run(capsys, *argv[:1], *argv[1:], "--data", str(empty), *(["--out", str(tmp_path / "o")] if argv[0] in ("validate", "report") else []))
    assert code == 2
    assert _errors(err) == [f"错误: {empty}: 没有找到任何台账文件（1 个文件未读取）；请检查数据目录是否正确、是否已挂载"]
    assert not list((tmp_path / "o").rglob("*.html")) if (tmp_path / "o").exists() else True


# ---------------------------------------------------------------- 13.3 far dates and the calendar


def test_alerts_after_the_service_use_its_end(sample, capsys, monkeypatch):
    # the sample's service ended 2025-02-28; in 2027 the calendar knows no working days, and alerts stopped
    monkeypatch.setattr(cli_data, "_now", lambda: datetime(2027, 3, 1, 7, 30))
    code, out, err = _run(capsys, "alerts", "--data", str(sample), "--json")
    assert code == 0, err
    assert json.loads(out)["as_of"] == "2025-02-28T23:59:59"
    assert "提示: 服务期已于 2025-02-28 结束，预警按服务期末 2025-02-28 23:59 计算" in err


def test_alerts_in_a_year_the_calendar_lacks_say_which_year_to_add(tmp_path, capsys, monkeypatch):
    data = _tickets(tmp_path / "d", "T1,12345,2026-12-21 09:00,咨询,挂失\n", "[contract]\nstart = 2026-06-01\n")
    monkeypatch.setattr(cli_data, "_now", lambda: datetime(2027, 3, 1, 7, 30))
    code, _, err = _run(capsys, "alerts", "--data", str(data))
    assert code == 2
    assert _errors(err) == ["错误: 2027-03-01: 工作日历只有 2004–2026 年的安排；"
                            "请在 sscard.toml 的 [calendar] 中加入 2027 年的国务院放假安排（years、holidays、workdays）"]


def test_a_deadline_beyond_the_calendar_blocks_no_other_period(tmp_path, capsys):
    # a 投诉 received 30 Dec 2026 is due 5 working days later, in 2027, unknown: May 2026 is still computed
    data = _tickets(tmp_path / "d", "T1,12345,2026-05-06 09:00,咨询,挂失\nT2,12345,2026-12-30 09:00,投诉,挂失\n",
                    "[contract]\nstart = 2026-03-01\n")
    code, out, err = _run(capsys, "kpi", "--data", str(data), "--period", "2026-05", "--json")
    assert code == 0, err
    k = json.loads(out)
    assert (k["hotline"]["tickets_received"], k["hotline"]["tickets_due"], k["hotline"]["closed_on_time"]) == (1, 1, 0)


# ---------------------------------------------------------------- 13.4 nothing personal in what is printed or written


def test_validate_masks_file_names_and_quality_files(tmp_path, capsys):
    data = _tickets(tmp_path / "d", "T1,12345,,咨询,挂失\n", name=f"工单台账_{PHONE}.csv")  # no 受理时间: quarantined
    (data / f"张三丰_{PHONE}_{ID}.pdf").write_bytes(b"%PDF")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "=cmd|' -C calc'!A0"  # issue 13.11: a sheet name that runs as a formula in a spreadsheet
    ws.append(["工单编号", "来源渠道", "受理时间", "诉求类型"])
    ws.append(["T2", "12345", "不是日期", "咨询"])
    wb.save(data / "工单台账_5月.xlsx")
    code, out, err = _run(capsys, "validate", "--data", str(data), "--out", str(tmp_path / "q"))
    assert code == 1
    assert PHONE not in out + err and ID not in out + err
    assert "138****5678_**************1234.pdf" in out
    rows = list(csv.DictReader((tmp_path / "q" / "quarantine.csv").open(encoding="utf-8-sig")))
    assert sorted(r["文件"] for r in rows) == ["工单台账_138****5678.csv", "工单台账_5月.xlsx"]
    assert [r["工作表"] for r in rows if r["文件"] == "工单台账_5月.xlsx"] == ["'=cmd|' -C calc'!A0"]
    text = (tmp_path / "q" / "quarantine.csv").read_text(encoding="utf-8-sig") + (tmp_path / "q" / "warnings.csv").read_text(encoding="utf-8-sig")
    assert PHONE not in text and "\n=" not in text and ",=" not in text


def test_alerts_json_is_scrubbed(tmp_path, capsys):
    # a phone typed into 业务类别 reached `alerts --json`
    data = _tickets(tmp_path / "d", f"T1,12345,2024-05-20 08:00,咨询,咨询{PHONE}\n")
    code, out, err = _run(capsys, "alerts", "--data", str(data), "--as-of", "2024-05-21T20:00", "--json")
    assert code == 0, err
    a = json.loads(out)
    assert [i["category"] for i in a["tickets"]["items"]] == ["咨询138****5678"]  # used 90% of its window
    assert PHONE not in out


# ---------------------------------------------------------------- 13.9 user errors: one line, exit 2


@pytest.mark.parametrize("argv, message", [
    (["kpi", "--period", "0000-05"], "错误: 0000-05: 年份应在 1900–2100 之间"),
    (["kpi", "--period", "9999-12"], "错误: 9999-12: 年份应在 1900–2100 之间"),
    (["run-due", "--today", "2025-02-30"], "错误: --today 2025-02-30: 不是有效日期（应为日期，如 2025-02-28）"),
    (["latest-month", "--today", "2025-02-30"], "错误: --today 2025-02-30: 不是有效日期（应为日期，如 2025-02-28）"),
    (["report", "monthly", "--period", "2024-W18"], "错误: 2024-W18: 月报的期间应为 2024-05，不是一周"),
    (["report", "annual", "--period", "2024-05-06..2024-05-07"], "错误: 2024-05-06..2024-05-07: 年报的期间应为 contract、2024，不是自定日期区间"),
    (["report", "weekly", "--period", "2024-W18", "--format", ","], "错误: 没有指定输出格式；可用 html,pdf,xlsx,docx"),
    (["run-due", "--workers", "0"], "错误: sscard run-due: 参数 --workers: 应为正整数，不是 0（用 sscard run-due --help 查看用法）"),
    (["kpi"], "错误: sscard kpi: 缺少必需的参数 --period（用 sscard kpi --help 查看用法）"),
])
def test_user_errors_are_one_line(sample, tmp_path, capsys, argv, message):
    code, _, err = _run(capsys, *argv, "--data", str(sample), *(["--out", str(tmp_path / "o")] if argv[0] in ("report", "run-due") else []))
    assert code == 2
    assert _errors(err) == [message]


@pytest.mark.parametrize("command", [["validate"], ["report", "weekly", "--period", "2024-W18"], ["run-due"], ["sample"]])
def test_an_out_that_is_a_file_is_one_line(sample, tmp_path, capsys, command):
    target = tmp_path / "out.txt"
    target.write_text("", encoding="utf-8")
    argv = [*command, "--out", str(target)] + ([] if command[0] == "sample" else ["--data", str(sample)])
    code, _, err = _run(capsys, *argv)
    assert code == 2
    assert _errors(err) == [f"错误: --out {target}: 是一个文件，不是文件夹"]


@pytest.fixture
def read_only(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    if os.geteuid() == 0:  # root writes anywhere: make the folder immutable instead
        if subprocess.run(["chattr", "+i", str(folder)], capture_output=True).returncode:
            pytest.skip("no chattr on this file system")
        yield folder
        subprocess.run(["chattr", "-i", str(folder)], check=True)
    else:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)


@pytest.mark.parametrize("command", [["validate"], ["report", "weekly", "--period", "2024-W18"], ["run-due"]])
def test_a_read_only_out_is_one_line(sample, read_only, capsys, command):
    code, _, err = _run(capsys, *command, "--data", str(sample), "--out", str(read_only / "reports"))
    assert code == 2
    [line] = _errors(err)
    assert line.startswith(f"错误: --out {read_only / 'reports'}: 无法写入（")


def test_wrong_types_in_the_settings_are_one_line_each(tmp_path, capsys):
    data = _tickets(tmp_path / "d", "T1,12345,2024-05-06 09:00,咨询,挂失\n",
                    "[contract]\nprice_yuan = \"5177000\"\n[rules]\nbasic_satisfied_counts = \"false\"\n")
    code, _, err = _run(capsys, "kpi", "--data", str(data), "--period", "2024-05")
    assert code == 2
    toml = data / "sscard.toml"
    assert _errors(err) == [f"错误: {toml}: [contract] price_yuan: 应为数字（不加引号），不是 '5177000'",
                            f"错误: {toml}: [rules] basic_satisfied_counts: 应为 true 或 false（不加引号），不是 'false'"]


def test_a_defect_is_one_line_with_its_own_exit_code(sample, capsys, monkeypatch):
    import sscard_analysis.contract.kpi as kpi

    def broken(ds, period, contract=True):
        raise TypeError(f"unsupported operand for {PHONE}")

    monkeypatch.setattr(kpi, "compute_kpis", broken)
    code, _, err = _run(capsys, "kpi", "--data", str(sample), "--period", "2024-05")
    assert code == 3  # never 1, which validate uses for "rows quarantined"
    assert err.strip().endswith("内部错误（程序缺陷，请报告）: TypeError: unsupported operand for 138****5678；设置环境变量 SSCARD_DEBUG=1 可显示详情")
    assert "Traceback" not in err


# ---------------------------------------------------------------- 13.10 / 13.12 / 13.13


def test_no_settings_file_is_said_once(tmp_path, capsys):
    data = _tickets(tmp_path / "d", "T1,12345,2024-05-06 09:00,咨询,挂失\n", toml=None)
    code, _, err = _run(capsys, "kpi", "--data", str(data), "--period", "2024-05")
    assert code == 0
    assert err.count("没有 sscard.toml") == 1
    assert "提示: 数据目录中没有 sscard.toml，使用默认合同设置（服务期 2024-03-01 至 2025-02-28，合同价 5,177,000 元）" in err


def test_periods_are_normalised_and_checked(sample, capsys):
    code, out, _ = _run(capsys, "kpi", "--data", str(sample), "--period", "2024-5", "--json")
    assert code == 0 and json.loads(out)["period"]["label"] == "2024-05"
    code, _, err = _run(capsys, "kpi", "--data", str(sample), "--period", "2023-05", "--json")
    assert code == 0 and "提示: 期间 2023-05（2023-05-01 至 2023-05-31）不在服务期 2024-03-01 至 2025-02-28 内，合同指标不适用" in err
    code, _, err = _run(capsys, "kpi", "--data", str(sample), "--period", "2099-05")
    assert code == 2 and _errors(err)[0].startswith("错误: 2099-05: 统计时点 ") and err.strip().endswith("该期间尚未开始")


def test_version(capsys):
    from sscard_analysis.config import package_version

    code, out, _ = _run(capsys, "--version")
    assert code == 0 and out.strip() == f"sscard {package_version()}" and package_version() != "0+unknown"


def test_every_option_has_help_and_shows_its_default():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert set(sub.choices) == {"sample", "validate", "kpi", "alerts", "latest-month", "report", "run-due", "banks", "plan-inspections", "letters",
                                 "package", "dossier", "verify", "backup"}
    for name, p in sub.choices.items():
        text = p.format_help()
        assert text.startswith("用法: ")
        for action in p._actions:
            assert action.help, (name, action.dest)
            if action.option_strings and action.default not in (None, False, "==SUPPRESS=="):
                assert f"默认 {action.default}" in text.replace("\n", "").replace(" " * 2, ""), (name, action.dest)


def test_latest_month_needs_the_folder(tmp_path, capsys):
    code, _, err = _run(capsys, "latest-month", "--data", str(tmp_path / "nonexistent"))
    assert code == 2 and _errors(err) == [f"错误: --data {tmp_path / 'nonexistent'}: 数据目录不存在"]


def test_validate_writes_quality_files_beside_its_own_folder(tmp_path, capsys, monkeypatch):
    # two data folders no longer overwrite each other's quarantine list in the project folder
    from sscard_analysis.config import quality_dir

    monkeypatch.setenv("SSCARD_WORK_DIR", str(tmp_path / "work"))
    a = _tickets(tmp_path / "a", "T1,12345,,咨询,挂失\n")
    b = _tickets(tmp_path / "b", "T1,12345,2024-05-06 09:00,咨询,挂失\n")
    assert _run(capsys, "validate", "--data", str(a))[0] == 1
    code, out, _ = _run(capsys, "validate", "--data", str(b))
    assert code == 0
    qa, qb = quality_dir(a), quality_dir(b)
    assert qa != qb and qa.parent == qb.parent == tmp_path / "work" / "quality"
    assert len(list(csv.DictReader((qa / "quarantine.csv").open(encoding="utf-8-sig")))) == 1
    assert list(csv.DictReader((qb / "quarantine.csv").open(encoding="utf-8-sig"))) == []
    assert str(qb / "quarantine.csv") in out
