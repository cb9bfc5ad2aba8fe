from datetime import date

import pandas as pd
import pytest

from sscard_analysis.ingest.ledgers import mask_frame
from sscard_analysis.privacy import (
    check_id, check_ids, id_check_digit, mask_id, mask_name, mask_phone, normalize_phone, scrub_text,
)


def _valid_id(first17: str) -> str:
    return first17 + id_check_digit(first17)


def test_check_digit_worked_example():
    # GB 11643 worked example: 11010519491231002 -> X
    assert id_check_digit("11010519491231002") == "X"
    assert id_check_digit("44010619900101123") == "5"  # weighted sum 194, mod 11 = 7 -> "5"


@pytest.mark.parametrize(
    "value, reason",
    [
        ("11010519491231002X", None),
        ("110105194912310021", "身份证号校验位错误"),
        (_valid_id("44010619901301123"), "身份证号出生日期不合理"),  # month 13
        (_valid_id("44010630000101123"), "身份证号出生日期不合理"),  # future
        ("440106900101123", None),  # old 15-digit form
        ("A123456(7)", None),  # Hong Kong identity card, kept as written
        ("12345", "证件号码格式无法识别"),
    ],
)
def test_check_id(value, reason):
    assert check_id(value, date(2026, 1, 1)) == reason


def test_check_ids_matches_scalar():
    values = pd.Series(["11010519491231002X", "110105194912310021", "440106900101123", "bad"])
    got = check_ids(values, date(2026, 1, 1)).tolist()
    assert got == [check_id(v, date(2026, 1, 1)) for v in values]


@pytest.mark.parametrize(
    "raw, value, reason",
    [
        ("+86 138-1234-5678", "13812345678", None),
        ("020-12345678", "02012345678", None),
        ("13812345678 / 020-87654321", "13812345678/02087654321", None),
        ("1381234567", None, "电话号码格式无法识别"),  # 10 digits
        ("138123456789", None, "电话号码格式无法识别"),  # 12 digits
    ],
)
def test_normalize_phone(raw, value, reason):
    assert normalize_phone(raw) == (value, reason)


def test_masks():
    assert mask_id("11010519491231002X") == "**************002X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("13812345678/02087654321") == "138****5678/*******4321"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳娜娜") == "欧阳**"
    assert mask_name("李小龙") == "李**"
    assert mask_name("买买提·艾力") == "买*****"
    assert mask_name(None) == ""


def test_scrub_text():
    text = "来电人张三，身份证11010519491231002X，电话138-1234-5678，座机020-87654321，编号2024050612"
    out = scrub_text(text, names=("张三",))
    assert "11010519491231002X" not in out and "**************002X" in out
    assert "138****5678" in out and "1234" not in out.split("电话")[1][:8]
    assert "020-****4321" in out
    assert "张*" in out and "张三" not in out
    assert "2024050612" in out  # a 10-digit reference is not a phone number


def test_mask_frame():
    f = pd.DataFrame({"citizen_name": ["欧阳娜娜"], "id_number": ["11010519491231002X"], "phone": ["13812345678"],
                      "content": ["欧阳娜娜反映：电话13812345678打不通"], "ticket_id": ["T1"]})
    m = mask_frame(f)
    assert m.iloc[0].tolist() == ["欧阳**", "**************002X", "138****5678", "欧阳**反映：电话138****5678打不通", "T1"]
    assert f.iloc[0, 0] == "欧阳娜娜"  # the input is not changed


def test_mask_person_keeps_work_ids():
    from sscard_analysis.privacy import mask_person

    assert mask_person("SB0012") == "SB0012"
    assert mask_person("王五") == "王*"
    assert mask_person(None) == ""


@pytest.mark.parametrize(
    "text, expected",
    [
        # A name at the start of a run of Chinese characters: the surname stays, the rest is starred.
        ("张三丰_13812345678_440106199001011234.pdf", "张**_138****5678_**************1234.pdf"),
        ("王五", "王*"),
        ("欧阳娜娜", "欧阳**"),  # compound surname kept whole
        ("经办人：李四", "经办人：李*"),  # the run starts after the full-width colon
        ("陈大文来电咨询", "陈***电咨询"),  # at most three characters after the surname are starred
        # Not names: the surname character does not start the run, or it is not a common surname.
        ("下周一", "下周一"),
        ("花旗银行", "花旗银行"),
        ("现场来访", "现场来访"),
        ("2024-13-45", "2024-13-45"),
    ],
)
def test_scrub_message_masks_names_ids_and_phones(text, expected):
    from sscard_analysis.privacy import scrub_message

    assert scrub_message(text) == expected


def test_scrub_names_like_keeps_listed_words():
    from sscard_analysis.privacy import scrub_names_like

    # 黄埔 is a district and 周报 a deliverable: listed words are never masked, the rest still is.
    assert scrub_names_like("黄埔区周报_张三.docx", keep={"黄埔", "周报"}) == "黄埔区周报_张*.docx"
    assert scrub_names_like("黄埔区周报_张三.docx") == "黄***报_张*.docx"
