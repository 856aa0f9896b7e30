import io
import logging

import pytest

from core.logs import setup_logging
from core.privacy import citizen_key, id_number_valid, mask_id_number, mask_name, mask_text

ID = "11010519491231002X"  # a valid check digit


@pytest.fixture
def logged(process_logging: None) -> io.StringIO:
    stream = io.StringIO()
    setup_logging("DEBUG", stream=stream)
    return stream


def test_check_digit_and_masks() -> None:
    assert id_number_valid(ID) and not id_number_valid(ID[:-1] + "1")
    assert mask_id_number("150102199001011234") == "1501**********1234"
    assert mask_name("张三") == "张*" and mask_name("欧阳娜娜") == "欧***"
    assert citizen_key(ID, b"k1") == citizen_key(ID.lower(), b"k1") != citizen_key(ID, b"k2")


def test_mask_text_only_touches_id_shaped_runs() -> None:
    assert mask_text(f"card {ID} read") == "card 1101**********002X read"
    assert mask_text("phone 13800138000, order 1234567890123456789") == "phone 13800138000, order 1234567890123456789"
    assert mask_text("wait 0.012345678901234567 h") == "wait 0.012345678901234567 h"  # a fraction, not an ID


def test_filter_masks_message_args_extras_and_tracebacks(logged: io.StringIO) -> None:
    log = logging.getLogger("test.privacy")
    log.info("card %s read", ID)
    log.warning(f"inline {ID}", extra={"citizen": ID})
    try:
        raise ValueError(f"bad card {ID}")
    except ValueError:
        log.exception("failed")
    out = logged.getvalue()
    assert ID not in out and ID.lower() not in out
    assert out.count("1101**********002X") == 4
    assert "citizen=1101**********002X" in out


def test_lines_are_key_value_and_one_per_record(logged: io.StringIO) -> None:
    logging.getLogger("mqtt.link").info("connected", extra={"broker": "127.0.0.1:1883", "note": "two words"})
    line = logged.getvalue().strip()
    assert "\n" not in line
    assert line.endswith('INFO mqtt.link: connected broker=127.0.0.1:1883 note="two words"')
