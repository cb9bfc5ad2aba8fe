"""sscard.toml is checked against a schema: one Chinese line per problem, nothing silently ignored (issue 13.10)."""

from datetime import date
from pathlib import Path

import pytest

from sscard_analysis import config
from sscard_analysis.config import SCHEMA, Settings, SettingsError, load_settings, parse_settings, report_settings
from sscard_analysis.ingest import ledgers as L


def _problems(text: str, tmp_path) -> list[str]:
    (tmp_path / "sscard.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as exc:
        load_settings(tmp_path)
    prefix = f"{tmp_path / 'sscard.toml'}: "
    lines = str(exc.value).split("\n")
    assert all(line.startswith(prefix) for line in lines)
    return [line[len(prefix):] for line in lines]


def test_every_problem_is_one_chinese_line(tmp_path):
    text = (
        "[contract]\nstrat = 2024-03-01\nprice_yuan = -100\n"
        "[rules]\nbasic_satisfied_counts = \"false\"\n"
        "[rules.due_days]\n\"咨询\" = 0\n\"投诉\" = -3\n\"咨洵\" = 2\n"
        "[calendar]\nholidays = \"2027-01-01\"\nyears = [2027]\n"
    )
    assert _problems(text, tmp_path) == [
        "[contract] strat: 未知设置；是否想写 start？",  # a typo is no longer silently ignored
        "[contract] price_yuan: 应大于 0，不是 -100",  # would give a final payment of −20 元
        "[rules] basic_satisfied_counts: 应为 true 或 false（不加引号），不是 'false'",  # "false" was read as true
        "[rules] due_days \"咨询\": 应在 1 到 250 之间，不是 0",
        "[rules] due_days \"投诉\": 应在 1 到 250 之间，不是 -3",
        "[rules] due_days \"咨洵\": 未知名称；是否想写 咨询？",
        "[calendar] holidays: 应为列表，如 [...]，不是 '2027-01-01'",  # was "'2' is not a date"
    ]


@pytest.mark.parametrize("text, problem", [
    ("[contarct]\nstart = 2024-03-01\n", "[contarct]: 未知的表；是否想写 contract？"),
    ("[contract]\npromised_turnover_rate = 10\n", "[contract] promised_turnover_rate: 应在 0 到 1 之间，不是 10"),
    ("[contract]\nstart = 2024-03-01\nend = 2024-02-01\n", "[contract] end 2024-02-01 早于 start 2024-03-01"),
    ("[rules]\nlate_day_basis = \"workday\"\n", "[rules] late_day_basis: 应为 'calendar' 或 'working'，不是 'workday'"),
    ("[rules.doc_days.\"规划方案\"]\n\"简单\" = \"2\"\n", "[rules] doc_days \"规划方案\" \"简单\": 应为整数（不加引号），不是 '2'"),
    ("[calendar]\nyears = [\"2027\"]\n", "[calendar] years: 第 1 项应为整数（不加引号），不是 '2027'"),
    ("[report]\ntime_limit_minutes = 0\n", "[report] time_limit_minutes: 应大于 0 且不大于 1440，不是 0"),
    ("[contract\n", None),
])
def test_single_problems(tmp_path, text, problem):
    got = _problems(text, tmp_path)
    if problem is None:
        assert len(got) == 1 and got[0].startswith("TOML 格式错误")
    else:
        assert got == [problem]


def test_valid_file_is_read(tmp_path):
    (tmp_path / "sscard.toml").write_text(
        "[contract]\nstart = 2024-04-01\nprice_yuan = 4800000\npromised_turnover_rate = 0.1\n"
        "[rules]\nbasic_satisfied_counts = false\n[rules.due_days]\n\"咨询\" = 2\n"
        "[rules.doc_days.\"来文办阅\"]\n\"中等\" = 2\n[calendar]\nyears = [2027]\nholidays = [2027-01-01]\n"
        "[report]\ntime_limit_minutes = 2.5\n", encoding="utf-8")
    s = load_settings(tmp_path)
    assert (s.start, s.end, s.price_yuan, s.promised_turnover_rate) == (date(2024, 4, 1), date(2025, 3, 31), 4800000.0, 0.1)
    assert s.basic_satisfied_counts is False and s.due_days["咨询"] == 2 and s.due_days["投诉"] == 5
    assert s.doc_days["来文办阅"] == {"中等": 2} and s.doc_days["规划方案"]["困难"] == 4
    assert (s.calendar_years, s.holidays, s.report_time_limit_minutes) == ((2027,), (date(2027, 1, 1),), 2.5)


def test_no_file_means_defaults(tmp_path):
    assert config.settings_file(tmp_path) is None
    assert load_settings(tmp_path) == Settings()


def test_schema_names_follow_the_ledgers():
    # the names a [rules] table may use are the ledgers' enumerations
    assert set(config.TICKET_TYPES) == set(L.TICKET_TYPES)
    assert set(config.DOC_TYPES) == set(L.DOC_TYPES)
    assert set(config.DIFFICULTIES) == set(L.DIFFICULTY)
    fields = set(Settings.__dataclass_fields__)
    assert {k.field for k in SCHEMA} == fields  # every setting can be written in sscard.toml


def test_report_settings_ignore_how_a_number_is_written_and_the_time_limit():
    base = report_settings(Settings())
    assert report_settings(parse_settings({"contract": {"price_yuan": 5177000.0}})) == base  # 5177000 == 5177000.0
    assert report_settings(parse_settings({"report": {"time_limit_minutes": 3}})) == base  # not about content
    assert report_settings(parse_settings({"contract": {"price_yuan": 4980000}})) != base


def test_the_readme_example_is_valid(tmp_path):
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "sscard.toml").write_text(example, encoding="utf-8")
    s = load_settings(tmp_path)
    assert (s.price_yuan, s.calendar_years, s.report_time_limit_minutes) == (5177000.0, (2027,), 10.0)
