"""Tests of the deterministic sample data writer.

One small contract year (1,200 tickets a month) is written once and read back with openpyxl, as
exported; the properties checked are those the sample promises (ingest/sample/tickets.py): text
that fits type and category, the July outage, repeat callers, dissatisfaction, seasonality, ledgers
that agree with each other, the planted PSAM inconsistencies and the scheduled reports.
"""

from __future__ import annotations

import csv
import re
import tomllib
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import openpyxl
import pytest

from sscard_analysis.ingest.ledgers import BANKS, LEDGERS, ledger_for_prefix
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.ingest.sample.applications import INCONSISTENT_PSAM
from sscard_analysis.ingest.sample.texts import COMPLAINT_WORDS, OUTAGE_TERMS, PRAISE_WORDS
from sscard_analysis.privacy import id_check_digit

SMALL = 1200
OUTAGE = [date(2024, 7, d) for d in range(15, 20)]  # Monday-Friday
OUTAGE_AND_TAIL = (date(2024, 7, 15), date(2024, 8, 5))


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


def _records(path: Path, header_row: int = 0) -> list[dict]:
    rows = _cells(path)
    head = rows[header_row]
    return [dict(zip(head, r)) for r in rows[header_row + 1:]]


def _when(v) -> datetime | None:
    """A receipt time as exported: an Excel datetime or one of the text forms (None when damaged)."""
    if isinstance(v, datetime):
        return v
    for fmt in ("%Y/%m/%d %H:%M", "%Y年%m月%d日", "%Y%m%d"):
        try:
            return datetime.strptime(str(v), fmt)
        except ValueError:
            pass
    return None


@pytest.fixture(scope="module")
def tickets(sample_dir: tuple[Path, dict[str, int]]) -> list[dict]:
    """Every ticket once (a re-exported or copy-pasted row counts once), with its receipt time ``t``."""
    out, _ = sample_dir
    by_id: dict[str, dict] = {}
    for path in sorted(out.glob("工单台账*.xlsx")):
        for r in _records(path, 1)[:-1]:  # banner above the header, 合计 below the data
            r["t"] = _when(r["受理时间"])
            if r["工单编号（必填）"] and r["t"]:
                by_id[r["工单编号（必填）"]] = r
    return list(by_id.values())


def _workday(d: date) -> bool:
    return chinese_calendar.is_workday(d)


# ---------------------------------------------------------------------------
# Files as exported
# ---------------------------------------------------------------------------


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
    # tickets_per_month is the average month, repeat calls included; the outage week comes on top
    assert 12 * SMALL * 0.95 < counts["tickets"] < 12 * SMALL * 1.15


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


def test_ticket_file_has_banner_header_total_row_and_the_visit_note_column(
        sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    rows = _cells(out / "工单台账2024年05月.xlsx")
    assert rows[0][0] == "2024年5月社保卡工单台账"
    assert "工单编号（必填）" in rows[1]
    assert rows[1][-1] == "回访备注"  # an extra column, after the ledger's own
    assert rows[-1][0] == "合计"
    assert rows[-1][1] == len(rows) - 3


def test_same_seed_gives_identical_files(tmp_path: Path) -> None:
    a = write_sample(tmp_path / "a", seed=7, tickets_per_month=300)
    b = write_sample(tmp_path / "b", seed=7, tickets_per_month=300)
    assert a == b
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    for name in names:  # byte for byte, xlsx included (fixed document properties)
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    write_sample(tmp_path / "c", seed=8, tickets_per_month=300)
    assert _cells(tmp_path / "c" / "工单台账2024年07月.xlsx") != _cells(tmp_path / "a" / "工单台账2024年07月.xlsx")


def test_id_numbers_mostly_pass_the_check_digit(tickets: list[dict]) -> None:
    ids = [r["身份证号"] for r in tickets if isinstance(r["身份证号"], str) and len(r["身份证号"]) == 18]
    assert len(ids) > 1000
    ok = [i for i in ids if id_check_digit(i[:17]) == i[17]]
    assert len(ok) / len(ids) > 0.98
    assert len(ok) < len(ids)  # the sample carries a few wrong check digits on purpose
    assert all(i.startswith("4401") and 1940 <= int(i[6:10]) <= 2005 for i in ok)


# ---------------------------------------------------------------------------
# Ticket text
# ---------------------------------------------------------------------------


def test_praise_praises_and_never_complains(tickets: list[dict]) -> None:
    praise = [r["诉求内容"] for r in tickets if r["诉求类型"] == "表扬"]
    assert len(praise) > 100
    for text in praise:
        assert any(w in text for w in PRAISE_WORDS if w != "表扬") or "感谢" in text, text
        assert not any(w in text for w in COMPLAINT_WORDS), text


def test_types_read_as_their_type(tickets: list[dict]) -> None:
    by_type = defaultdict(list)
    for r in tickets:
        by_type[r["诉求类型"]].append(r["诉求内容"])
    # 建议 proposes and never asks; 咨询 asks; 投诉 complains
    assert all("建议" in t and "？" not in t for t in by_type["建议"])
    asks = [t for t in by_type["咨询"] if "？" in t or "询问" in t or "咨询" in t]
    assert len(asks) / len(by_type["咨询"]) > 0.95
    assert all("投诉" in t or "反映" in t or "称" in t for t in by_type["投诉"])


def test_categories_have_their_own_vocabulary(tickets: list[dict]) -> None:
    # a word of each category's own vocabulary is far more frequent inside it than elsewhere
    marks = {"照片回执": ("回执",), "密码": ("密码",), "挂失": ("挂失", "丢失", "遗失"), "即时制卡": ("即时制卡",),
             "乘车": ("乘车", "公交", "地铁"), "长者饭堂": ("长者饭堂",), "就医购药": ("医保", "药店", "就医", "医院", "门诊", "诊所")}
    for cat, words in marks.items():
        inside = [any(w in r["诉求内容"] for w in words) for r in tickets if r["业务类别"] == cat]
        outside = [any(w in r["诉求内容"] for w in words) for r in tickets if r["业务类别"] != cat]
        assert sum(inside) / len(inside) > 0.8, cat
        assert sum(outside) / len(outside) < 0.05, cat


def test_most_tickets_are_short_and_a_few_long(tickets: list[dict]) -> None:
    lengths = sorted(len(r["诉求内容"]) for r in tickets)
    median = lengths[len(lengths) // 2]
    assert 20 <= median <= 45
    long_share = sum(n >= 80 for n in lengths) / len(lengths)
    assert 0.01 < long_share < 0.15


# ---------------------------------------------------------------------------
# The July outage
# ---------------------------------------------------------------------------


def test_outage_days_have_three_times_the_usual_activation_tickets_in_outage_words(tickets: list[dict]) -> None:
    activation = [r for r in tickets if r["业务类别"] == "金融功能激活"]
    per_day: dict[date, int] = defaultdict(int)
    for r in activation:
        per_day[r["t"].date()] += 1
    usual = [per_day[d] for d in (date(2024, 3, 1) + timedelta(days=i) for i in range(365))
             if _workday(d) and not OUTAGE_AND_TAIL[0] <= d <= OUTAGE_AND_TAIL[1]]
    baseline = sum(usual) / len(usual)
    for d in OUTAGE:
        assert per_day[d] >= 3 * baseline, (d, per_day[d], baseline)
        words = [any(w in r["诉求内容"] for w in OUTAGE_TERMS) for r in activation if r["t"].date() == d]
        assert sum(words) / len(words) > 0.6, d  # the rest are the day's usual calls
    # the outage vocabulary belongs to the outage and its follow-up calls only
    elsewhere = [r for r in tickets if not OUTAGE_AND_TAIL[0] <= r["t"].date() <= OUTAGE_AND_TAIL[1]]
    assert not any(any(w in r["诉求内容"] for w in OUTAGE_TERMS) for r in elsewhere)
    # it reached several channels, and callers kept asking after it
    channels = {r["来源渠道"] for r in activation if r["t"].date() in OUTAGE and "系统繁忙" in r["诉求内容"]}
    assert len(channels) >= 4
    tail = [r for r in activation if date(2024, 7, 22) <= r["t"].date() <= OUTAGE_AND_TAIL[1]
            and any(w in r["诉求内容"] for w in OUTAGE_TERMS)]
    assert len(tail) > baseline


def _satisfaction(rows: list[dict]) -> float:
    rated = [r["回访满意度"] for r in rows if r["回访满意度"]]
    return sum(s != "不满意" for s in rated) / len(rated)


def test_satisfaction_is_lower_during_the_outage(tickets: list[dict]) -> None:
    hotline = [r for r in tickets if r["来源渠道"].startswith("12345")]
    during = [r for r in hotline if r["t"].date() in OUTAGE]
    outside = [r for r in hotline if r["t"].date() not in OUTAGE]
    assert _satisfaction(during) < _satisfaction(outside) - 0.05
    assert _satisfaction(outside) > 0.9
    complaints = lambda rows: sum(r["诉求类型"] == "投诉" for r in rows) / len(rows)  # noqa: E731
    assert complaints(during) > 1.5 * complaints(outside)


# ---------------------------------------------------------------------------
# Repeat callers, dissatisfaction and appeals
# ---------------------------------------------------------------------------


def _citizens(tickets: list[dict]) -> dict[str, list[dict]]:
    """Tickets grouped by citizen: linked when they share an ID number or a phone (digits, last 11)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    keys = []
    for r in tickets:
        k = []
        if isinstance(r["身份证号"], str):
            k.append("I" + r["身份证号"])
        if r["来电号码"]:
            k.append("P" + re.sub(r"\D", "", str(r["来电号码"]))[-11:])
        for other in k[1:]:
            parent[find(k[0])] = find(other)
        keys.append(k)
    groups: dict[str, list[dict]] = defaultdict(list)
    for r, k in zip(tickets, keys):
        if k:
            groups[find(k[0])].append(r)
    return groups


def test_three_to_five_percent_of_citizens_call_again_within_15_days(tickets: list[dict]) -> None:
    groups = _citizens(tickets)
    repeaters, second_channel, calls = 0, 0, []
    for rows in groups.values():
        rows.sort(key=lambda r: r["t"])
        pairs = [(a, b) for a, b in zip(rows, rows[1:]) if b["t"] - a["t"] < timedelta(days=15)]
        if pairs:
            repeaters += 1
            second_channel += any(a["来源渠道"] != b["来源渠道"] for a, b in pairs)
            calls.append(len(rows))
            assert all(a["业务类别"] == b["业务类别"] for a, b in pairs)  # about the same matter
    assert 0.03 <= repeaters / len(groups) <= 0.05, repeaters / len(groups)
    assert 0.15 < second_channel / repeaters < 0.6
    assert sum(n >= 5 for n in calls) >= 2  # a few call many times


def test_dissatisfaction_has_reasons_and_appeals(tickets: list[dict]) -> None:
    hotline = [r for r in tickets if r["来源渠道"].startswith("12345")]
    unhappy = [r for r in hotline if r["回访满意度"] == "不满意"]
    assert unhappy and all((r["回访备注"] or "").startswith("回访不满意：") for r in unhappy)
    assert not any(r["回访备注"] and "不满意" in r["回访备注"] for r in hotline if r["回访满意度"] != "不满意")
    appealed = [r for r in unhappy if r["申诉结果"]]
    assert 0.2 < len(appealed) / len(unhappy) < 0.6
    assert all("已申诉" in r["回访备注"] for r in appealed)
    assert {r["申诉结果"] for r in appealed} == {"申诉成功", "申诉失败", "申诉中"}
    assert not any(r["申诉结果"] for r in tickets if r["回访满意度"] != "不满意")
    # outage-caused 不满意 is appealed, and upheld, more than late-closure 不满意
    outage = [r for r in unhappy if "系统" in r["回访备注"].split("；")[0] or "激活" in r["回访备注"]]
    late = [r for r in unhappy if "时限" in r["回访备注"] or "多日" in r["回访备注"]]
    upheld = lambda rows: sum(r["申诉结果"] == "申诉成功" for r in rows) / len(rows)  # noqa: E731
    assert outage and late and upheld(outage) > upheld(late) + 0.2


# ---------------------------------------------------------------------------
# Seasonality
# ---------------------------------------------------------------------------


def test_volume_follows_the_calendar(tickets: list[dict]) -> None:
    per_day: dict[date, int] = defaultdict(int)
    for r in tickets:
        per_day[r["t"].date()] += 1
    days = [date(2024, 3, 1) + timedelta(days=i) for i in range(365)]
    ordinary = [d for d in days if _workday(d) and d.weekday() < 5 and not OUTAGE_AND_TAIL[0] <= d <= OUTAGE_AND_TAIL[1]]
    mean = lambda ds: sum(per_day[d] for d in ds) / len(ds)  # noqa: E731
    workday = mean(ordinary)
    weekend = mean([d for d in days if d.weekday() >= 5 and not _workday(d)])
    spring = [d for d in days if chinese_calendar.get_holiday_detail(d) == (True, "Spring Festival")]
    after_spring = [d for d in days if d > spring[-1] and _workday(d)][:5]
    adjusted = [d for d in days if d.weekday() >= 5 and _workday(d)]  # 调休 working weekend days
    assert len(spring) >= 7 and len(adjusted) >= 4
    assert mean(spring) < 0.25 * workday  # the Spring Festival trough
    assert mean(after_spring) > 1.25 * workday  # the return peak
    assert mean(adjusted) > 2 * weekend and mean(adjusted) > 0.75 * workday  # 调休 days work
    # student cards after the autumn term starts (Monday 2 September 2024)
    def applied(a: date, b: date) -> float:  # 申领 tickets per working day
        n = sum(r["业务类别"] == "申领" and a <= r["t"].date() <= b for r in tickets)
        return n / sum(_workday(d) for d in days if a <= d <= b)

    assert applied(date(2024, 9, 2), date(2024, 9, 20)) > 1.4 * applied(date(2024, 10, 14), date(2024, 11, 1))
    # medical insurance at month end: the last three working days of each month
    month_end = set()
    for y, m in {(d.year, d.month) for d in days}:
        wd = [d for d in days if (d.year, d.month) == (y, m) and _workday(d)]
        month_end.update(wd[-3:])
    share = lambda rows: sum(r["业务类别"] == "就医购药" for r in rows) / len(rows)  # noqa: E731
    at_end = [r for r in tickets if r["t"].date() in month_end]
    rest = [r for r in tickets if r["t"].date() not in month_end]
    assert share(at_end) > 1.5 * share(rest)


# ---------------------------------------------------------------------------
# Ledgers that agree with each other
# ---------------------------------------------------------------------------


def _canonical_bank(name: str | None) -> str | None:
    for bank, synonyms in BANKS.items():
        if name == bank or name in synonyms:
            return bank
    return name


def test_banks_with_more_complaints_score_lower(sample_dir: tuple[Path, dict[str, int]], tickets: list[dict]) -> None:
    out, _ = sample_dir
    outlets = _records(out / "合作银行网点名录.xlsx")
    bank_of = {o["网点编号"]: _canonical_bank(o["所属银行"]) for o in outlets}
    n_outlets: dict[str, int] = defaultdict(int)
    for b in bank_of.values():
        n_outlets[b] += 1
    complaints: dict[str, int] = defaultdict(int)
    for r in tickets:
        if r["诉求类型"] == "投诉" and r["涉及银行"]:
            complaints[_canonical_bank(r["涉及银行"])] += 1
    ranked = sorted(n_outlets, key=lambda b: complaints[b] / n_outlets[b], reverse=True)
    worst, rest = set(ranked[:3]), set(ranked[3:])
    scores: dict[str, list[float]] = defaultdict(list)
    for v in _records(out / "网点现场检查记录.xlsx"):
        scores[bank_of[v["网点编号"]]].append(sum(v[k] for k in ("网点环境", "业务管理", "安全管理", "业务规范", "人员业务掌握")) / 5)
    with open(out / "电话巡检记录.csv", encoding="utf-8-sig", newline="") as fh:
        checks = list(csv.DictReader(fh))
    answered: dict[str, list[bool]] = defaultdict(list)
    for c in checks:
        answered[bank_of[c["网点编号"]]].append(c["是否接通"] == "是")
    pooled = lambda d, banks: sum(sum(d[b]) for b in banks) / sum(len(d[b]) for b in banks)  # noqa: E731
    assert pooled(scores, worst) < pooled(scores, rest) - 2
    assert pooled(answered, worst) < pooled(answered, rest) - 0.04


def test_outlets_complained_about_are_found_faulty_afterwards(sample_dir: tuple[Path, dict[str, int]],
                                                               tickets: list[dict]) -> None:
    out, _ = sample_dir
    outlets = _records(out / "合作银行网点名录.xlsx")
    assert len({o["网点名称"] for o in outlets}) == len(outlets)  # tickets name outlets by name
    pattern = re.compile("|".join(re.escape(o["网点名称"]) for o in sorted(outlets, key=lambda o: -len(o["网点名称"]))))
    id_of = {o["网点名称"]: o["网点编号"] for o in outlets}
    named: dict[str, list[datetime]] = defaultdict(list)
    for r in tickets:
        if r["诉求类型"] == "投诉" and (m := pattern.search(r["诉求内容"])):
            named[id_of[m.group(0)]].append(r["t"])
    visits: dict[str, list[tuple[datetime, str | None]]] = defaultdict(list)
    for v in _records(out / "网点现场检查记录.xlsx"):
        visits[v["网点编号"]].append((v["检查日期"], v["发现问题"]))

    def found_later(outlet: str) -> bool:
        first = min(named[outlet])
        return any(day > first and issue for day, issue in visits[outlet])

    often = [o for o, ts in named.items() if len(ts) >= 4]
    seldom = [o for o, ts in named.items() if len(ts) == 1]
    assert len(often) >= 15
    share = lambda group: sum(found_later(o) for o in group) / len(group)  # noqa: E731
    assert share(often) > 0.5 and share(often) > 2 * share(seldom)


# ---------------------------------------------------------------------------
# PSAM cards and scheduled reports
# ---------------------------------------------------------------------------


def test_psam_ledger_holds_the_planted_inconsistent_cards(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    events: dict[str, list[tuple[datetime, str, str]]] = defaultdict(list)
    for r in _records(out / "PSAM卡台账.xlsx"):
        events[r["卡号"]].append((r["日期"], r["事件"], r["使用单位"]))
    stopped_units = {a["应用单位"] for a in _records(out / "社保卡应用目录.xlsx") if a["阶段"] == "停用"}

    def problems(history: list[tuple[datetime, str, str]]) -> set[str]:
        history = sorted(history)
        kinds = [k for _, k, _ in history]
        found = set()
        if kinds.count("发放") > 1 and "回收" not in kinds:
            found.add("发放两次")
        first = {k: d for d, k, _ in reversed(history)}
        if "回收" in first and "发放" in first and first["回收"] < first["发放"]:
            found.add("回收早于发放")
        if history[0][2] in stopped_units and "回收" not in kinds:
            found.add("应用停用后未回收")
        if "回收" in kinds and "抽检" in kinds[kinds.index("回收"):]:
            found.add("回收后仍有抽检")
        if "申领" not in kinds:
            found.add("无申领即发放")
        return found

    for card, history in events.items():
        expected = {INCONSISTENT_PSAM[card]} if card in INCONSISTENT_PSAM else set()
        assert problems(history) == expected, card
    assert set(INCONSISTENT_PSAM) <= set(events) and len(events) == 25


def _due(covered_until: date) -> date:
    """End of the first working day after the day a report's period ends (表2 次周、次月前)."""
    d = covered_until + timedelta(days=1)
    while not _workday(d):
        d += timedelta(days=1)
    return d


def test_every_scheduled_report_is_in_on_its_due_day(sample_dir: tuple[Path, dict[str, int]]) -> None:
    out, _ = sample_dir
    rows = _records(out / "成果台账.xlsx")
    got = {(r["类型"], r["所属期间"]): r["提交日期"].date() for r in rows}
    monday = date(2024, 2, 26)  # the ISO week holding the service start, 2024-03-01
    weeks = 0
    while monday <= date(2025, 2, 28):
        y, w, _ = monday.isocalendar()
        assert got[("周报", f"{y}-W{w:02d}")] == _due(monday + timedelta(days=6)), (y, w)
        weeks += 1
        monday += timedelta(days=7)
    assert weeks == 53
    for k in range(12):
        first = date(2024 + (2 + k) // 12, (2 + k) % 12 + 1, 1)
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        assert got[("月报", f"{first:%Y-%m}")] == _due(nxt - timedelta(days=1))
    # the last week's, month's and quarter's reports come after the service end, on their due day
    assert got[("周报", "2025-W09")] == got[("月报", "2025-02")] == got[("季报", "contract-Q4")] == date(2025, 3, 3)
    assert got[("年报", "contract")] == date(2025, 3, 3)
    assert all(r["提交日期"].date() <= date(2025, 2, 28) for r in rows if r["类型"] not in ("周报", "月报", "季报", "年报"))
