"""The 256-byte text block: four layouts, validation, the reverse for the simulator, privacy."""
from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from core.privacy import id_check_char, id_number_valid
from drivers.idcard.card import (
    LAYOUTS,
    NATIONS,
    Card,
    CardType,
    Gender,
    InvalidCard,
    build_text,
    parse_text,
)
from drivers.idcard.driver import CardError, CardRead
from drivers.idcard.sim import DEFAULT_CITIZENS

ZHANG = DEFAULT_CITIZENS[0]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


def test_first_48_bytes_of_zhang_san() -> None:
    block = build_text(ZHANG)
    assert block[:48] == h("20 5F 09 4E") + h("20 00") * 13 + h(
        "31 00 30 00 31 00 31 00 39 00 39 00 30 00 30 00 31 00")
    card = parse_text(block)
    assert (card.name, card.gender, card.nation_name, card.birth) == ("张三", Gender.MALE, "汉", date(1990, 1, 1))


def test_test_citizens_cover_every_layout_and_round_trip() -> None:
    assert {c.card_type for c in DEFAULT_CITIZENS} == set(CardType)
    assert len(DEFAULT_CITIZENS) >= 6
    assert any(c.valid_to is None for c in DEFAULT_CITIZENS)
    assert any(c.birth.year < 1960 for c in DEFAULT_CITIZENS)
    for card in DEFAULT_CITIZENS:
        block = build_text(card)
        assert len(block) == 256 and block[248:250] == card.card_type.value.encode("utf-16-le")
        assert parse_text(block, card.photo) == card
        if card.card_type is not CardType.FOREIGNER_OLD:
            assert id_number_valid(card.number)


def test_layout_offsets_of_each_type() -> None:
    permit = next(c for c in DEFAULT_CITIZENS if c.card_type is CardType.PERMIT)
    old = next(c for c in DEFAULT_CITIZENS if c.card_type is CardType.FOREIGNER_OLD)
    new = next(c for c in DEFAULT_CITIZENS if c.card_type is CardType.FOREIGNER)
    assert build_text(permit)[220:238].decode("utf-16-le") == "H60123456"
    assert build_text(permit)[32:36] == h("20 00 20 00")  # no nation on a permit
    assert build_text(old)[0:22].decode("utf-16-le") == "SMITH, JOHN"
    assert build_text(old)[152:158].decode("utf-16-le") == "USA"
    assert build_text(old)[158:164].decode("utf-16-le") == "史密斯"
    assert build_text(new)[52:78].decode("utf-16-le") == "MUELLER, ANNA"
    assert build_text(new)[242:248].decode("utf-16-le") == "DEU"


def test_long_english_name_continues_at_220() -> None:
    new = next(c for c in DEFAULT_CITIZENS if c.card_type is CardType.FOREIGNER)
    long_name = "MUELLER-LUDENSCHEIDT, ANNA KATHARINA M"  # 38 characters: 35 + 3
    card = dataclasses.replace(new, english_name=long_name)
    block = build_text(card)
    assert block[220:226].decode("utf-16-le") == "A M"
    assert parse_text(block).english_name == long_name


def test_long_term_validity() -> None:
    elder = next(c for c in DEFAULT_CITIZENS if c.valid_to is None)
    block = build_text(elder)
    assert block[204:208] == "长期".encode("utf-16-le") == h("7F 95 1F 67")
    assert parse_text(block).valid_to is None
    assert not elder.expired_on(date(2090, 1, 1)) and ZHANG.expired_on(date(2035, 6, 2))
    assert elder.age_on(date(2026, 3, 14)) == 73 and elder.age_on(date(2026, 3, 15)) == 74


def test_code_tables() -> None:
    assert [g.label for g in Gender] == ["未知", "男", "女", "未说明"]
    assert len(NATIONS) == 58 and NATIONS["01"] == "汉" and NATIONS["56"] == "基诺"
    assert NATIONS["98"] == "外国血统中国籍人士"


def _replace_slot(block: bytes, offset: int, text: str) -> bytes:
    data = text.encode("utf-16-le")
    return block[:offset] + data + block[offset + len(data):]


@pytest.mark.parametrize(("offset", "text", "message"), [
    (156, "6", "check character"),          # the check digit of 110101199001010015 is 5
    (122, "81000019900101001" + id_check_char("81000019900101001"), "prefix"),  # a permit's number
    (36, "19910101", "birth date does not match"),
    (36, "19901301", "not a calendar date"),
    (188, "2015-6-1", "not a date"),
    (204, "20100101", "valid_to not after"),
    (30, "5", "gender"),
    (32, "99", "nation"),
    (248, "Z", "card type"),
])
def test_invalid_blocks_name_the_field_never_the_number(offset: int, text: str, message: str) -> None:
    with pytest.raises(InvalidCard, match=message) as caught:
        parse_text(_replace_slot(build_text(ZHANG), offset, text))
    assert ZHANG.number not in str(caught.value)


def test_block_size_and_ucs2_are_checked() -> None:
    with pytest.raises(InvalidCard, match="256"):
        parse_text(bytes(100))
    with pytest.raises(InvalidCard, match="name is not UCS-2"):
        parse_text(h("00 D8") + build_text(ZHANG)[2:])  # a lone surrogate before 三


def test_cards_refuse_what_their_block_cannot_hold() -> None:
    with pytest.raises(InvalidCard, match="too long"):
        dataclasses.replace(ZHANG, name="张" * 16)
    with pytest.raises(InvalidCard, match="has no english_name"):
        dataclasses.replace(ZHANG, english_name="ZHANG SAN")
    with pytest.raises(InvalidCard, match="space"):
        dataclasses.replace(ZHANG, address="北京 ")
    with pytest.raises(InvalidCard, match="photo"):
        dataclasses.replace(ZHANG, photo=b"short")


def test_repr_and_str_never_show_the_number() -> None:
    for card in DEFAULT_CITIZENS:
        for text in (repr(card), str(card), f"{card}", repr(CardRead(card)), repr([card])):
            assert card.number not in text
            assert card.masked_number in text
    assert ZHANG.masked_name == "张*" and ZHANG.masked_number == "1101**********0015"
    key = ZHANG.citizen_key(b"hall-secret")
    assert key == ZHANG.citizen_key(b"hall-secret") != ZHANG.citizen_key(b"other")
    assert ZHANG.number not in key and len(key) == 32
    assert "0015" not in repr(CardError("invalid_card", "ID number is not 17 digits"))


def test_photo_is_opaque_behind_a_decoder() -> None:
    placeholder = ZHANG.photo_image()
    assert placeholder.size == (102, 126)

    class Decoder:
        def __init__(self) -> None:
            self.seen: bytes = b""

        def decode(self, wlt: bytes) -> Image.Image:
            self.seen = wlt
            return Image.new("L", (102, 126), 7)

    decoder = Decoder()
    assert decoder.seen == b"" and ZHANG.photo_image(decoder).getpixel((0, 0)) == 7
    assert decoder.seen == ZHANG.photo and len(ZHANG.photo) == 1024


# ---- round trip of any valid card ---------------------------------------------------
_FIXED = {"gender", "birth", "number", "valid_from", "valid_to", "nation", "nationality"}
_chars = st.characters(min_codepoint=0x20, max_codepoint=0x9FA5)


def _room(card_type: CardType, attr: str) -> int:
    return sum(size for name, _, size in LAYOUTS[card_type] if name == attr) // 2


@st.composite
def cards(draw: st.DrawFn) -> Card:
    card_type = draw(st.sampled_from(list(CardType)))
    birth = draw(st.dates(date(1900, 1, 1), date(2060, 1, 1)))
    valid_from = draw(st.dates(birth, date(2080, 1, 1)))
    valid_to = draw(st.none() | st.dates(valid_from + timedelta(days=1), date(2099, 12, 31)))
    if card_type is CardType.FOREIGNER_OLD:
        number = draw(st.from_regex(r"[A-Z]{3}[0-9]{12}", fullmatch=True))
    else:
        head = {CardType.RESIDENT: r"[1-6][0-9]{5}", CardType.PERMIT: r"8[123]0000",
                CardType.FOREIGNER: r"9[0-9]{5}"}[card_type]
        first17 = draw(st.from_regex(head, fullmatch=True)) + f"{birth:%Y%m%d}" + draw(
            st.from_regex(r"[0-9]{3}", fullmatch=True))
        number = first17 + id_check_char(first17)
    fields = {attr: draw(st.text(_chars, max_size=_room(card_type, attr)).map(lambda t: t.rstrip(" ")))
              for attr, _, _ in LAYOUTS[card_type] if attr not in _FIXED}
    fields["name"] = fields.get("name") or "名"
    if card_type is CardType.RESIDENT:
        fields["nation"] = draw(st.sampled_from(sorted(NATIONS)))
    if card_type in (CardType.FOREIGNER, CardType.FOREIGNER_OLD):
        fields["nationality"] = draw(st.from_regex(r"[A-Z]{3}", fullmatch=True))
    return Card(card_type=card_type, gender=draw(st.sampled_from(list(Gender))), birth=birth, number=number,
                valid_from=valid_from, valid_to=valid_to, **fields)


@settings(max_examples=300, deadline=None)
@given(cards())
def test_any_valid_card_round_trips_through_its_block(card: Card) -> None:
    block = build_text(card)
    assert len(block) == 256
    assert parse_text(block) == card
    assert card.number not in repr(card)
