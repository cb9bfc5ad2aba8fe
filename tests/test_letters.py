"""Draft letters to banks (表1 #6, #9): the right tickets, outlets and phone checks, in a .docx, masked."""

from datetime import date

import pytest
from _frames import dataset
from docx import Document

from sscard_analysis.dates.periods import parse_period
from sscard_analysis.ops.letters import addressee, write_letters
from sscard_analysis.privacy import id_check_digit

ID = "44010619850315123"
ID += id_check_digit(ID)
PHONE = "13912345678"
NAME = "欧阳娜娜"
MAY = parse_period("2024-05", as_of="2024-05-31T23:59:59")


def _ticket(tid, kind, bank="工商银行", when="2024-05-10 09:00", **kw):
    return dict(ticket_id=tid, channel="12345热线", received_at=when, ticket_type=kind, bank=bank, category="金融功能激活",
                district="天河", **kw)


@pytest.fixture
def letters(tmp_path):
    ds = dataset(
        tickets=[
            _ticket("T-VERIFY-1", "投诉", content=f"{NAME}投诉网点拒办，身份证{ID}，电话{PHONE}", citizen_name=NAME, id_number=ID, phone=PHONE),
            _ticket("T-VERIFY-2", "求助", content="激活失败请银行核实"),
            _ticket("T-VERIFY-3", "举报", content="网点乱收费"),
            _ticket("T-ASK", "咨询", content="如何激活"),  # a question: nothing for the bank to verify
            _ticket("T-VOID", "投诉", status="无效", content="无效件"),  # excluded
            _ticket("T-APRIL", "投诉", when="2024-04-30 09:00"),  # another period
            _ticket("T-ABC", "投诉", bank="农业银行", content="农行的事"),  # another bank
        ],
        outlets=[
            dict(outlet_id="A1", name="工行甲支行", bank="工商银行", district="天河", status="正常"),
            dict(outlet_id="A2", name="工行乙支行", bank="工商银行", district="天河", status="正常"),
            dict(outlet_id="B1", name="农行甲支行", bank="农业银行", district="越秀", status="正常"),
        ],
        outlet_inspections=[
            dict(inspection_id="I1", outlet_id="A1", inspected_on="2024-04-02", issues="叫号机故障未及时报修", rectified=False),
            dict(inspection_id="I2", outlet_id="A2", inspected_on="2024-04-03", issues="宣传折页不足", rectified=False),
            dict(inspection_id="I3", outlet_id="A2", inspected_on="2024-05-20", issues="宣传折页不足", rectified=True),  # since fixed
        ],
        phone_checks=[
            dict(check_id="P1", outlet_id="A1", checked_at="2024-05-06 10:00", answered=False, note="无人接听"),
            dict(check_id="P2", outlet_id="A2", checked_at="2024-05-07 10:00", answered=True, script_ok=False),
            dict(check_id="P3", outlet_id="A2", checked_at="2024-05-08 10:00", answered=True, script_ok=True),
        ],
    )
    written, nothing = write_letters(ds, MAY, tmp_path, on=date(2024, 6, 3))
    return {bank: (path, counts) for bank, path, counts in written}, nothing


def _text(path) -> str:
    doc = Document(str(path))
    parts = [p.text for p in doc.paragraphs]
    parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join(parts)


def test_letter_names_the_right_tickets_outlets_and_checks(letters):
    written, nothing = letters
    assert set(written) == {"工商银行", "农业银行"} and "中国银行" in nothing
    path, counts = written["工商银行"]
    assert path.name == "致工商银行核查函_2024-05.docx"
    text = _text(path)
    for tid in ("T-VERIFY-1", "T-VERIFY-2", "T-VERIFY-3"):
        assert tid in text
    for tid in ("T-ASK", "T-VOID", "T-APRIL", "T-ABC"):
        assert tid not in text
    # A1's latest inspection left its finding open; A2's was fixed on 05-20.
    assert "叫号机故障未及时报修" in text and "工行乙支行" in text  # A2 appears for its wrong phone answer
    assert counts == {"tickets": 4, "complaints": 1, "to_verify": 3, "inspections": 1, "unrectified_outlets": 1,
                      "phone_checks": 3, "unanswered": 1, "wrong_answer": 1}
    assert "未接通" in text and "业务口径不正确" in text
    # the 函 structure: title, addressee, count summary, request, sender and date, attachments
    assert "关于请核查处理2024年5月社会保障卡业务有关问题的函" in text
    assert "中国工商银行广州分行：" in text
    assert "社会保障卡工单 4 件，其中投诉 1 件" in text
    assert "广州市人力资源和社会保障数据服务中心" in text and "2024年6月3日" in text
    assert "附件1" in text and "附件3" in text


def test_letter_is_masked(letters):
    text = _text(letters[0]["工商银行"][0])
    assert ID not in text and PHONE not in text and NAME not in text
    assert "*" * 14 + ID[-4:] in text and "139****5678" in text and "欧阳**" in text


def test_attachments_are_numbered_as_they_appear(letters):
    # 农业银行 has one ticket to verify and nothing else: one attachment, numbered 1.
    text = _text(letters[0]["农业银行"][0])
    assert "T-ABC" in text and "附件1" in text and "附件2" not in text
    assert "中国农业银行广州分行：" in text


@pytest.mark.parametrize("bank, to", [("广州农商银行", "广州农村商业银行"), ("广州银行", "广州银行"), ("交通银行", "交通银行广州分行"),
                                      ("邮储银行", "中国邮政储蓄银行广州分行")])
def test_addressee(bank, to):
    assert addressee(bank) == to
