"""Repeats from case rows: addresses, party pairs by keyed hash, near-repeats in space and time."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timedelta

import pytest

from analysis.identity import normal_id_number, normal_phone, party_tokens, token
from analysis.repeats import near_repeats, repeat_addresses, repeat_parties
from dispatch.model import BEIJING

KEY = b"test-key-of-this-deployment"
T0 = datetime(2026, 11, 1, 9, 0, tzinfo=BEIJING)


def _row(i: int, *, days: float = 0, address: str = "", lon: float | None = None,
         lat: float | None = None, phones: tuple[str, ...] = (), state: str = "closed",
         id_numbers: tuple[str | None, ...] = ()) -> dict:
    parties = [{"name": f"甲{k}", "phone": p, "role": "applicant"} for k, p in enumerate(phones)]
    for p, idn in zip(parties, id_numbers, strict=False):
        if idn:
            p["id_number"] = idn
    return {"id": i, "code": f"2026-{i:06d}", "category": "neighbour", "state": state,
            "address": address, "reported_at": T0 + timedelta(days=days), "lon": lon, "lat": lat,
            "caller_phone": phones[0] if phones else None, "parties": parties}


def test_phones_and_id_numbers_are_normalised_before_hashing():
    assert normal_phone("+86 139-0058-0569") == normal_phone("13900580569") == "13900580569"
    assert normal_phone("123") is None
    assert normal_id_number("65020319800101123x") == "65020319800101123X"
    assert normal_id_number("6502031980") is None
    assert token(KEY, "phone", "13900580569") != token(b"other", "phone", "13900580569")
    with pytest.raises(ValueError):
        token(b"", "phone", "13900580569")
    # the keyed hash is HMAC-SHA256 of "kind:value" (hashes stored or compared stay valid)
    assert token(KEY, "id", "65020319800101123X") == hmac.new(
        KEY, b"id:65020319800101123X", hashlib.sha256).hexdigest()


def test_an_id_number_wins_over_the_phone():
    a = party_tokens(KEY, {"parties": [{"phone": "13900000001", "id_number": "650203198001011234"}]})
    b = party_tokens(KEY, {"parties": [{"phone": "13900000999", "id_number": "650203198001011234"}]})
    assert a == b


def test_repeat_addresses_group_normalised_addresses():
    rows = [_row(1, address="天山路 12号"), _row(2, address="天山路12号", days=3, state="handling"),
            _row(3, address="天山路（12号）", days=9), _row(4, address="胜利路3号")]
    found = repeat_addresses(rows, min_cases=3)
    assert [g["case_ids"] for g in found] == [[1, 2, 3]]
    assert found[0]["open"] == 1
    assert repeat_addresses(rows, min_cases=4) == []


def test_party_pairs_meet_again_without_showing_a_number():
    rows = [_row(1, phones=("13900000001", "13900000002")),
            _row(2, days=20, phones=("+86 139 0000 0002", "13900000001")),
            _row(3, days=30, phones=("13900000001", "13900000003")),
            _row(4, days=40, phones=("13900000004", "13900000005"))]
    found = repeat_parties(rows, KEY)
    assert [g["case_ids"] for g in found] == [[1, 2]]
    text = json.dumps(found, ensure_ascii=False, default=str)
    assert "1390000000" not in text
    plain = hashlib.sha256(b"phone:13900000001").hexdigest()
    assert plain not in text and token(KEY, "phone", "13900000001") not in text
    assert found[0]["pair"].startswith("P")
    assert repeat_parties(rows, b"another key")[0]["pair"] != found[0]["pair"]


def test_three_parties_meeting_twice_are_one_group():
    rows = [_row(1, phones=("13900000001", "13900000002", "13900000003")),
            _row(2, days=5, phones=("13900000001", "13900000002", "13900000003"))]
    assert len(repeat_parties(rows, KEY)) == 1


def test_near_repeats_gather_cases_within_200_m_and_14_days_of_a_first_one():
    lon, lat = 84.87, 45.60
    dlon = 100 / (111_320 * 0.7)  # ~100 m east at 45.6°N
    rows = [_row(1, lon=lon, lat=lat), _row(2, days=10, lon=lon + dlon, lat=lat),
            _row(3, days=13, lon=lon + 2.5 * dlon, lat=lat),  # 250 m from 1: not with it
            _row(4, days=20, lon=lon + 2.5 * dlon, lat=lat),  # 7 days after 3, same spot
            _row(7, days=30, lon=lon, lat=lat),  # near 1, too late
            _row(5, days=1, lon=lon + 8 * dlon, lat=lat),  # ~800 m away
            _row(6, days=2)]  # not located
    found = near_repeats(rows, radius_m=200, days=14)
    assert [g["case_ids"] for g in found] == [[1, 2], [3, 4]]  # not chained into one
    assert found[0]["span_days"] == 10.0
    assert [g["case_ids"] for g in near_repeats(rows, radius_m=50, days=14)] == [[3, 4]]
