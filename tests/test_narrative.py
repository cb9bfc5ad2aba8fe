"""The report's analytical sections show exactly what the analysis functions return, and no personal data."""

import html
import re

import pandas as pd
import pytest
from _frames import dataset
from test_analysis import CAL, P, TEXTS, T, _steady_rows

from sscard_analysis.analysis import anomalies, backlog, findings, rankings, topics
from sscard_analysis.contract.kpi import compute_kpis
from sscard_analysis.ingest.sample import write_sample
from sscard_analysis.measures.hotline import prepare_tickets
from sscard_analysis.reporting import narrative as N
from sscard_analysis.reporting.context import REPORT_COLUMNS, ReportContext, build_context, previous_period


def _cells(fragment: str) -> list[list[str]]:
    """Body rows of every table in the fragment, as cell texts."""
    rows = re.findall(r"<tr>(.*?)</tr>", fragment, re.S)
    return [[html.unescape(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)] for r in rows if "<td" in r]


def _context(kind: str, rows: list[dict], period: str) -> ReportContext:
    ds = dataset(tickets=rows)
    p = P(period)
    prev = previous_period(p, kind, ds.settings)
    tickets = prepare_tickets(ds["tickets"], ds.settings, CAL, REPORT_COLUMNS)
    return ReportContext(kind, ds, p, compute_kpis(ds, p), prev, compute_kpis(ds, prev, contract=False), tickets, CAL)


@pytest.fixture(scope="module")
def spike_ctx():
    """Steady volume from 04-15 to 06-30 and 15 extra 金融功能激活 tickets on each of 06-12, 06-13, 06-14."""
    rows = _steady_rows("2024-04-15", "2024-06-30", {"申领": 8, "补换": 6, "金融功能激活": 5, "密码": 4},
                        {"申领": 2, "补换": 1, "金融功能激活": 1, "密码": 1}, TEXTS)
    for d in ("2024-06-12", "2024-06-13", "2024-06-14"):
        rows += [T(f"S{d}{i}", f"{d} 14:{i:02d}", "金融功能激活", content=f"手机银行金融功能激活提示系统升级，第{i}次失败") for i in range(15)]
    return _context("monthly", rows, "2024-06")


def test_incident_in_the_incident_section_and_the_overview(spike_ctx):
    inc = N.incidents(spike_ctx)
    assert "2024年06月12日至06月14日（3 天）" in inc and "金融功能激活（+45）类工单 60 件" in inc
    ov = N.overview(spike_ctx)
    assert "本月发生突发问题 1 起：6月12日至6月14日“金融功能激活”类工单激增，超出常态 45 件（约为常态的 4.0 倍）" in ov
    assert "较上月" in ov  # compared with May, not a 12-month window
    f = N.findings(spike_ctx)
    assert "本期发生工单量异常激增 1 起" in f


def test_no_incident_is_said_plainly():
    rows = _steady_rows("2024-04-15", "2024-06-30", {"申领": 8}, {"申领": 2}, TEXTS)
    ctx = _context("monthly", rows, "2024-06")
    assert "未发现工单量明显偏离常态的突发问题" in N.incidents(ctx)
    assert "本月未发现工单量异常激增的突发问题" in N.overview(ctx)


def test_ranking_section_names_the_small_unit_below_the_line_with_its_interval():
    rows = []
    for district, n, bad in (("白云", 5, 1), ("天河", 500, 40)):
        rows += [T(f"{district}{i}", "2024-05-06 09:00", district=district, closed_at="2024-05-06 12:00",
                   satisfaction="不满意" if i < bad else "满意") for i in range(n)]
    ctx = _context("monthly", rows, "2024-05")
    frag = N.district_ranking(ctx)
    rows_shown = _cells(frag)
    header = re.findall(r"<th[^>]*>(.*?)</th>", frag.split("</table>")[0])
    sat = header.index("满意率［95%区间］")
    assert [r[0] for r in rows_shown[:2]] == ["天河", "白云"]
    assert rows_shown[0][sat] == "92.00%［89.3–94.1%］" and rows_shown[1][sat] == "80.00%［37.6–96.4%］"
    assert rows_shown[1][header.index("满意率名次")] == "2"
    assert "满意率未高于90%：白云（80.00%，区间跨线，差异不显著）" in frag


@pytest.fixture(scope="module")
def sample_ctx(tmp_path_factory):
    root = tmp_path_factory.mktemp("narrative")
    write_sample(root / "data", seed=2, tickets_per_month=300)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SSCARD_CACHE_DIR", str(root / "cache"))
        return build_context("monthly", "2024-07", root / "data")


def test_hot_topics_section_agrees_with_the_function(sample_ctx):
    ctx = sample_ctx
    df = topics.hot_topics(ctx.tickets, ctx.period, ctx.previous, 5, ctx.ds.settings.basic_satisfied_counts)
    shown = _cells(N.hot_topics(ctx))
    assert len(shown) == len(df) == 5
    for row, r in zip(shown, df.itertuples()):
        assert row[1] == r.topic and row[2] == f"{r.tickets:,}" and row[3] == f"{r.share * 100:.1f}%"
        assert row[4] == f"{int(r.previous):,}" and row[7] == r.terms and row[8] == r.example


@pytest.mark.parametrize("by", ["district", "bank"])
def test_ranking_sections_agree_with_the_function(sample_ctx, by):
    ctx = sample_ctx
    m = rankings.unit_metrics(ctx.ds, ctx.tickets, ctx.period, by, ctx.ds.settings.basic_satisfied_counts)
    frag = N.district_ranking(ctx) if by == "district" else N.bank_ranking(ctx)
    tables = frag.split("</table>")[: len(N.RANKING_GROUPS)]
    for table, metrics in zip(tables, N.RANKING_GROUPS):
        header = re.findall(r"<th[^>]*>(.*?)</th>", table)
        body = _cells(table + "</table>")
        first = m[m["metric"] == metrics[0]]
        assert [r[0] for r in body][: len(first)] == list(first["unit"])  # rank order, （未填） last
        for metric in metrics:
            name, _, _, kind = rankings.METRICS[metric]
            name = N.PER_100.get(metric, name)
            for row in body:
                want = m[(m["metric"] == metric) & (m["unit"] == row[0])]
                if want.empty:
                    continue
                w = want.iloc[0]
                assert row[header.index(f"{name}［95%区间］")] == N.ranking_cell(w, kind)
                assert row[header.index(f"{name}名次")] == ("—" if pd.isna(w["rank"]) else str(int(w["rank"])))
    for r in rankings.below_line(m).itertuples():
        assert f"{r.unit}（" in frag


@pytest.mark.parametrize("month", ["2024-06", "2024-07"])  # June of this sample has late tickets, July none
def test_late_tickets_section_reconciles_with_the_rate(sample_ctx, month):
    ctx = sample_ctx if month == "2024-07" else build_context("monthly", month, sample_ctx.ds.data_dir)
    late = backlog.late_tickets(ctx.tickets, ctx.period, ctx.cal)
    frag = N.late_tickets(ctx)
    k = ctx.kpis["hotline"]
    assert f"逾期未办结 {k['overdue_open']} 件" in frag
    due_in_period = late["due_at"] >= pd.Timestamp(ctx.period.start_dt)
    assert (late["state"] == backlog.CLOSED_LATE).sum() + ((late["state"] == backlog.OVERDUE) & due_in_period).sum() \
        == k["tickets_due"] - k["closed_on_time"]
    assert (len(late) > 0) == (month == "2024-06")
    for tid in late["ticket_id"].head(30):
        assert tid in frag


def test_next_steps_and_findings_agree_with_the_functions(sample_ctx):
    ctx = sample_ctx
    inc = anomalies.incidents(ctx.tickets, ctx.period, ctx.cal)
    f = findings.grouped_findings(ctx.ds, ctx.tickets, ctx.kpis, ctx.period, ctx.previous, ctx.cal, inc)
    shown = N.findings(ctx)
    assert shown.count("<li><strong>") == len(f)
    for item in f:
        assert html.escape(item["problem"]) in shown
    items = backlog.open_items(ctx.ds, ctx.tickets, ctx.kpis, ctx.period, ctx.cal, inc)
    plan = N.next_steps(ctx)
    assert "下月工作计划" in plan and "需采购人协调事项" in plan
    for item in items:
        assert html.escape(item["item"]) in plan


def test_achievements_for_a_quarter(tmp_path, sscard_cache):
    write_sample(tmp_path / "d", seed=2, tickets_per_month=150)
    ctx = build_context("quarterly", "contract-Q2", tmp_path / "d")
    quotas, better = findings.achievements(ctx.kpis, ctx.previous_kpis)
    frag = N.achievements(ctx)
    shown = _cells(frag)
    assert [r[0] for r in shown] == list(quotas["code"])
    assert [r[2] for r in shown] == [f"{v:,.0f}" for v in quotas["value"]]
    for line in better:
        assert html.escape(line) in frag


def test_no_personal_data_in_any_section(sample_ctx):
    ctx = sample_ctx
    t = ctx.ds["tickets"]
    secrets = set(t["id_number"].dropna()) | set(t["phone"].dropna().str.split("/").explode())
    names = {n for n in t["citizen_name"].dropna() if len(n) >= 2}
    text = "".join(getattr(N, s)(ctx) for s in ("overview", "hot_topics", "incidents", "dissatisfaction", "district_ranking",
                                                "bank_ranking", "late_tickets", "next_steps", "achievements", "findings"))
    assert len(secrets) > 100
    assert not {s for s in secrets if s in text}
    assert not {n for n in names if n in text}


@pytest.mark.parametrize("kind", ["weekly", "monthly", "quarterly", "annual"])
def test_outline_names_sections_that_exist(kind):
    names = [name for _, name in N.outline(kind)]
    assert all(callable(getattr(N, n)) for n in names)
    assert names[0] == "overview" and ("achievements" in names) == (kind in ("quarterly", "annual"))
    assert N.outline("monthly")[0][0] == "本月工作综述" and N.outline("monthly")[-1][0] == "下月工作计划与需采购人协调事项"
