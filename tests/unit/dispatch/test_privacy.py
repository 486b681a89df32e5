"""Masks for personal data, without a database."""

import pytest

from dispatch.privacy import (
    mask_address,
    mask_deep,
    mask_id_number,
    mask_incident,
    mask_name,
    mask_phone,
    mask_text,
)


def test_names_keep_the_family_name_only():
    assert mask_name("张三") == "张**"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧阳娜娜") == "欧**"
    assert mask_name("") == "" and mask_name(None) is None


def test_phones():
    assert mask_phone("13812341234") == "138****1234"
    assert mask_phone("+86 138-1234-1234") == "138****1234"
    assert mask_phone("0990-6231234") == "099******34"
    assert mask_phone("110") == "****"


def test_id_numbers():
    assert mask_id_number("65020319900101123X") == "6" + "*" * 16 + "X"


def test_door_numbers_go_the_road_stays():
    assert mask_address("天山路128号3栋2单元501室") == "天山路*号*栋*单元*室"
    assert mask_address("友谊路12-3号") == "友谊路*号"
    assert mask_address("天山路") == "天山路"


def test_free_text():
    text = "张三丰（13812341234，身份证65020319900101123X）住天山路8号，与张三争吵"
    out = mask_text(text, ["张三丰", "张三"])
    assert "13812341234" not in out and "138****1234" in out
    assert "65020319900101123X" not in out
    assert "张三" not in out and "张**" in out
    assert "8号" not in out
    assert mask_text("座机0990-6231234", []) == "座机0990*******"


@pytest.mark.parametrize("text", ["", "号", "1号1号", "\x00\n", "８号", "12345678901234567890",
                                  "<script>alert(1)</script>", "张三" * 500])
def test_masking_text_never_fails(text):
    assert isinstance(mask_text(text, ["张三"]), str)


def test_a_case_is_masked_throughout():
    case = {"id": 1, "caller_name": "李四", "caller_phone": "13900001111",
            "address": "天山路128号", "description": "李四说王五占了车位，电话13900001111",
            "title": "邻里纠纷",
            "parties": [{"name": "李四", "phone": "13900001111", "role": "applicant"},
                        {"name": "王五", "phone": None, "role": "respondent"}],
            "audit": [{"reason": "联系王五", "detail": {"parties": [1], "note": "李四同意"}}],
            "followups": [{"note": "王五满意"}]}
    out = mask_incident(case)
    flat = repr(out)
    for secret in ("李四", "王五", "13900001111", "128号"):
        assert secret not in flat
    assert out["masked"] is True and out["parties"][1]["phone"] is None
    assert out["parties"][0]["role"] == "applicant"
    assert case["caller_name"] == "李四"  # the input is not changed


def test_every_text_derived_from_parties_is_masked_however_deep():
    """Issue 14 item 2: links' reasons, 督办 reasons, whistles, consultations and nested audit
    details carried names, phones and door numbers past the old field-by-field mask."""
    case = {"id": 7, "code": "2026-000007", "title": "司马青衫与诸葛云裳噪音纠纷",
            "parties": [{"name": "司马青衫", "phone": "13755550001"},
                        {"name": "诸葛云裳", "phone": "13755550002"}],
            "links": [{"other_id": 3, "other_code": "2026-000003",
                       "reasons": ["疑似重复：2026-000003", "当事人相同：司马青衫、诸葛云裳"]}],
            "supervisions": [{"reason": "请回电 13755550001，示例路77号8栋909室"}],
            "whistles": [{"reason": "诸葛云裳再次投诉", "calls": [{"note": "已联系司马青衫"}]}],
            "consultations": [{"outcome": "司马青衫同意赔偿", "participants": ["调解员王"]}],
            "audit": [{"detail": {"duplicates": [{"reasons": ["当事人相同：司马青衫"]}],
                                  "caller_phone": "13755550002"}}],
            "assignments": [{"unit_name": "网格员 张伟", "role": "lead"}]}
    flat = repr(mask_incident(case))
    for secret in ("司马青衫", "诸葛云裳", "13755550001", "13755550002", "77号", "909室"):
        assert secret not in flat, secret
    out = mask_incident(case)
    assert out["code"] == "2026-000007" and out["links"][0]["other_code"] == "2026-000003"
    assert out["links"][0]["reasons"][1] == "当事人相同：司**、诸**"
    assert out["assignments"][0]["unit_name"] == "网格员 张伟"  # staff names are not parties


def test_names_given_apart_mask_a_row_without_its_parties():
    """A desk queue row carries a title but not the parties: their names come beside it."""
    row = {"id": 1, "title": "司马青衫报邻居噪音", "address": "示例路77号"}
    out = mask_incident(row, ["司马青衫"])
    assert out["title"] == "司**报邻居噪音" and out["address"] == "示例路*号"


def test_the_audit_view_uses_the_same_masker():
    from dispatch import views_audit

    assert views_audit.mask_deep is mask_deep


def test_a_system_row_is_masked_by_its_party_texts():
    from dispatch.privacy import mask_fields

    row = {"id": 3, "code": "2026-000003", "title": "司马青衫报噪音", "address": "示例路77号",
           "place": "某社区 › 第3网格"}
    out = mask_fields(row, ("title", "address"), ["司马青衫"])
    assert out == {**row, "title": "司**报噪音", "address": "示例路*号", "masked": True}
