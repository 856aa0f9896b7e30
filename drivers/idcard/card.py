"""A citizen's card as the reader hands it over: the 256-byte text block, typed and checked.

The block is UCS-2 little-endian, every field right-padded with spaces, and the character
at byte 248 says which of the four card layouts it is. `parse_text` turns a block into a
`Card` (validated: check digit, dates, codes) and `build_text` is its exact inverse, which
the simulator uses. A `Card` never shows its full ID number in repr/str: the number stays
on the terminal, and only `masked_*` forms and `citizen_key` leave it.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any, Protocol

from PIL import Image, ImageDraw

from core.privacy import citizen_key, id_number_valid, mask_id_number, mask_name
from core.sansio import CodecError

TEXT_SIZE = 256
PHOTO_SIZE = 1024
PHOTO_PIXELS = (102, 126)
LONG_TERM = "长期"  # valid_to of a card valid for life
_TYPE_AT = slice(248, 250)
_PAD = " ".encode("utf-16-le")


class CardType(str, enum.Enum):
    """The character at byte 248 of the text block."""

    RESIDENT = " "       # 居民身份证
    PERMIT = "J"         # 港澳台居民居住证
    FOREIGNER_OLD = "I"  # 外国人永久居留证 (before 2023)
    FOREIGNER = "Y"      # 外国人永久居留身份证 (2023)


class Gender(str, enum.Enum):
    """GB/T 2261.1 codes."""

    UNKNOWN = "0"
    MALE = "1"
    FEMALE = "2"
    NOT_STATED = "9"

    @property
    def label(self) -> str:
        return {"0": "未知", "1": "男", "2": "女", "9": "未说明"}[self.value]


NATIONS: dict[str, str] = {  # GB/T 3304
    "01": "汉", "02": "蒙古", "03": "回", "04": "藏", "05": "维吾尔", "06": "苗", "07": "彝",
    "08": "壮", "09": "布依", "10": "朝鲜", "11": "满", "12": "侗", "13": "瑶", "14": "白",
    "15": "土家", "16": "哈尼", "17": "哈萨克", "18": "傣", "19": "黎", "20": "傈僳", "21": "佤",
    "22": "畲", "23": "高山", "24": "拉祜", "25": "水", "26": "东乡", "27": "纳西", "28": "景颇",
    "29": "柯尔克孜", "30": "土", "31": "达斡尔", "32": "仫佬", "33": "羌", "34": "布朗",
    "35": "撒拉", "36": "毛南", "37": "仡佬", "38": "锡伯", "39": "阿昌", "40": "普米",
    "41": "塔吉克", "42": "怒", "43": "乌孜别克", "44": "俄罗斯", "45": "鄂温克", "46": "德昂",
    "47": "保安", "48": "裕固", "49": "京", "50": "塔塔尔", "51": "独龙", "52": "鄂伦春",
    "53": "赫哲", "54": "门巴", "55": "珞巴", "56": "基诺", "97": "其他", "98": "外国血统中国籍人士",
}

# (Card attribute, byte offset, byte size); an attribute listed twice continues in the second.
_VALIDITY = (("valid_from", 188, 16), ("valid_to", 204, 16))
LAYOUTS: dict[CardType, tuple[tuple[str, int, int], ...]] = {
    CardType.RESIDENT: (("name", 0, 30), ("gender", 30, 2), ("nation", 32, 4), ("birth", 36, 16),
                        ("address", 52, 70), ("number", 122, 36), ("authority", 158, 30), *_VALIDITY),
    CardType.PERMIT: (("name", 0, 30), ("gender", 30, 2), ("birth", 36, 16), ("address", 52, 70),
                      ("number", 122, 36), ("authority", 158, 30), *_VALIDITY,
                      ("pass_number", 220, 18), ("issue_count", 238, 4)),
    CardType.FOREIGNER_OLD: (("english_name", 0, 120), ("gender", 120, 2), ("number", 122, 30),
                             ("nationality", 152, 6), ("name", 158, 30), *_VALIDITY,
                             ("birth", 220, 16), ("version", 236, 4), ("authority_code", 240, 8)),
    CardType.FOREIGNER: (("name", 0, 30), ("gender", 30, 2), ("issue_count", 32, 4), ("birth", 36, 16),
                         ("english_name", 52, 70), ("number", 122, 36), *_VALIDITY,
                         ("english_name", 220, 22), ("nationality", 242, 6)),
}


def _slots(layout: tuple[tuple[str, int, int], ...]) -> dict[str, list[slice]]:
    out: dict[str, list[slice]] = {}
    for attr, offset, size in layout:
        out.setdefault(attr, []).append(slice(offset, offset + size))
    return out


_SLOTS = {card_type: _slots(layout) for card_type, layout in LAYOUTS.items()}


class InvalidCard(CodecError):
    """A text block or card that is not valid; the message names the field, never its value."""


class PhotoDecoder(Protocol):
    """A vendor's WLT library wrapped to turn the 1,024-byte blob into a 102×126 image."""

    def decode(self, wlt: bytes) -> Image.Image: ...


@dataclass(frozen=True, repr=False)
class Card:
    """One card's fields; attributes a layout does not carry stay empty."""

    card_type: CardType
    name: str               # Chinese name (may be empty on an old foreigner's card)
    gender: Gender
    birth: date
    number: str             # ID number, or the old foreigner card's 15-character number
    valid_from: date
    valid_to: date | None   # None = 长期, valid for life
    nation: str = ""        # GB/T 3304 code, resident cards only
    address: str = ""
    authority: str = ""
    english_name: str = ""
    nationality: str = ""   # ISO 3166 alpha-3, foreigners' cards
    pass_number: str = ""   # permit: the travel permit's number
    issue_count: str = ""   # permit: times issued; 2023 foreigner card: times renewed
    version: str = ""       # old foreigner card
    authority_code: str = ""  # old foreigner card
    photo: bytes = b""      # WLT blob, opaque

    def __post_init__(self) -> None:
        _validate(self)

    def __repr__(self) -> str:
        return f"Card({self.card_type.name.lower()} {self.masked_name} {self.masked_number})"

    @property
    def display_name(self) -> str:
        return self.name or self.english_name

    @property
    def masked_name(self) -> str:
        return mask_name(self.display_name)

    @property
    def masked_number(self) -> str:
        return mask_id_number(self.number)

    def citizen_key(self, secret: bytes) -> str:
        """The keyed hash that links this citizen's visits at the center."""
        return citizen_key(self.number, secret)

    @property
    def nation_name(self) -> str:
        return NATIONS.get(self.nation, "")

    def age_on(self, day: date) -> int:
        return day.year - self.birth.year - ((day.month, day.day) < (self.birth.month, self.birth.day))

    def expired_on(self, day: date) -> bool:
        return self.valid_to is not None and day > self.valid_to

    def photo_image(self, decoder: PhotoDecoder | None = None) -> Image.Image:
        if decoder is not None and self.photo:
            return decoder.decode(self.photo)
        return placeholder_photo()


def placeholder_photo() -> Image.Image:
    """A neutral silhouette for kiosks without a vendor's WLT decoder."""
    image = Image.new("RGB", PHOTO_PIXELS, (236, 239, 243))
    draw = ImageDraw.Draw(image)
    draw.ellipse((31, 20, 71, 68), fill=(168, 176, 188))
    draw.ellipse((11, 74, 91, 160), fill=(168, 176, 188))
    return image


# ---- validation ---------------------------------------------------------------------
_TEXT_FIELDS = [f.name for f in fields(Card) if f.name not in ("card_type", "photo")]
_NUMBER_PREFIXES = {CardType.RESIDENT: tuple("123456"), CardType.PERMIT: ("81", "82", "83"),
                    CardType.FOREIGNER: ("9",)}


def _validate(card: Card) -> None:
    slots = _SLOTS[card.card_type]
    for attr in _TEXT_FIELDS:
        text = _to_text(getattr(card, attr))
        if attr not in slots:
            if text:
                raise InvalidCard(f"a {card.card_type.name.lower()} card has no {attr}")
            continue
        if len(text.encode("utf-16-le")) > sum(s.stop - s.start for s in slots[attr]):
            raise InvalidCard(f"{attr} too long for its field")
        if text.endswith(" "):
            raise InvalidCard(f"{attr} ends with a space (padding)")
    if not card.display_name:
        raise InvalidCard("no name")
    _validate_number(card)
    if card.card_type is CardType.RESIDENT and card.nation not in NATIONS:
        raise InvalidCard("unknown nation code")
    foreign = card.card_type in (CardType.FOREIGNER, CardType.FOREIGNER_OLD)
    if foreign and not re.fullmatch(r"[A-Z]{3}", card.nationality):
        raise InvalidCard("nationality is not an ISO 3166 alpha-3 code")
    if card.birth > card.valid_from:
        raise InvalidCard("valid_from before birth")
    if card.valid_to is not None and card.valid_to <= card.valid_from:
        raise InvalidCard("valid_to not after valid_from")
    if card.photo and len(card.photo) != PHOTO_SIZE:
        raise InvalidCard(f"photo is not {PHOTO_SIZE} bytes")


def _validate_number(card: Card) -> None:
    """Messages here must never carry the number itself."""
    number = card.number
    if card.card_type is CardType.FOREIGNER_OLD:
        if not re.fullmatch(r"[A-Z]{3}\d{12}", number):
            raise InvalidCard("card number is not 3 letters and 12 digits")
        return
    if not id_number_valid(number):
        raise InvalidCard("ID number is not 17 digits and a matching check character")
    if not number.startswith(_NUMBER_PREFIXES[card.card_type]):
        raise InvalidCard(f"ID number prefix does not fit a {card.card_type.name.lower()} card")
    if number[6:14] != card.birth.strftime("%Y%m%d"):
        raise InvalidCard("birth date does not match the ID number")


# ---- text block ---------------------------------------------------------------------
def _to_text(value: object) -> str:
    if value is None:
        return LONG_TERM
    if isinstance(value, date):
        return value.strftime("%Y%m%d")
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def _parse_date(text: str, attr: str) -> date:
    if not re.fullmatch(r"\d{8}", text):
        raise InvalidCard(f"{attr} is not a date (YYYYMMDD)")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise InvalidCard(f"{attr} is not a calendar date") from None


def _parse_valid_to(text: str, attr: str) -> date | None:
    return None if text == LONG_TERM else _parse_date(text, attr)


def _parse_gender(text: str, attr: str) -> Gender:
    try:
        return Gender(text)
    except ValueError:
        raise InvalidCard("unknown gender code") from None


_PARSERS = {"birth": _parse_date, "valid_from": _parse_date, "valid_to": _parse_valid_to,
            "gender": _parse_gender}


def _decode(data: bytes, attr: str) -> str:
    try:
        return data.decode("utf-16-le")
    except UnicodeDecodeError:
        raise InvalidCard(f"{attr} is not UCS-2 text") from None


def parse_text(block: bytes, photo: bytes = b"") -> Card:
    """The reader's 256-byte text block (and photo blob) as a validated `Card`."""
    if len(block) != TEXT_SIZE:
        raise InvalidCard(f"text block of {len(block)} bytes, expected {TEXT_SIZE}")
    type_char = _decode(block[_TYPE_AT], "card type")
    try:
        card_type = CardType(type_char)
    except ValueError:
        raise InvalidCard(f"unknown card type {type_char!r}") from None
    values: dict[str, Any] = {}
    for attr, slots in _SLOTS[card_type].items():
        text = _decode(b"".join(block[s] for s in slots), attr).rstrip(" ")
        values[attr] = _PARSERS.get(attr, lambda t, a: t)(text, attr)
    return Card(card_type=card_type, photo=photo, **values)


def build_text(card: Card) -> bytes:
    """The 256-byte block a reader would send for `card` (the simulator's side)."""
    block = bytearray(_PAD * (TEXT_SIZE // 2))
    block[_TYPE_AT] = card.card_type.value.encode("utf-16-le")
    for attr, slots in _SLOTS[card.card_type].items():
        room = sum(s.stop - s.start for s in slots)
        data = _to_text(getattr(card, attr)).encode("utf-16-le")
        data += _PAD * ((room - len(data)) // 2)
        at = 0
        for s in slots:
            block[s] = data[at : at + s.stop - s.start]
            at += s.stop - s.start
    return bytes(block)
