"""The 适老化 audit itself (hallrig/kiosk_a11y.py) finds what it is there to find.

tests/test_kiosk_ui.py asserts that every kiosk screen passes it (no problem found); that
would pass as well if the audit found nothing ever. Here a widget tree made to break each
rule must be reported, rule by rule, and WCAG's own reference values must come out.
Kivy runs in a subprocess of its own (no window: only the widget tree), as the UI tests do.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hallrig.kiosk_a11y import contrast, luminance

ROOT = Path(__file__).resolve().parents[1]

TREE = """
import json
from kivy.graphics import Color, Rectangle
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.label import Label
from hallrig.kiosk_a11y import audit

root = BoxLayout(size=(1080, 1920))
with root.canvas.before:
    Color(1, 1, 1, 1)
    Rectangle(pos=(0, 0), size=(1080, 1920))
def label(text, font_size, color, y):
    root.add_widget(Label(text=text, font_size=font_size, color=color, size_hint=(None, None), size=(400, 100),
                          pos=(10, y)))
label("fine", 30, (0, 0, 0, 1), 10)
label("small", 12, (0, 0, 0, 1), 200)
label("grey", 30, (0.6, 0.6, 0.6, 1), 400)
label("outside", 30, (0, 0, 0, 1), 1900)
button = Button(text="", size_hint=(None, None), size=(40, 120), pos=(600, 10))
root.add_widget(button)
print(json.dumps([p.as_dict() for p in audit(root, 1.0, True, (1080, 1920), (1, 1, 1, 1))]))
"""


def test_the_contrast_is_wcags() -> None:
    """WCAG 2.x: black on white 21:1, white on white 1:1, #767676 on white the lightest grey
    that passes 4.5:1 (4.54:1) and #777777 just under it (4.48:1)."""
    assert luminance((1.0, 1.0, 1.0)) == pytest.approx(1.0)
    assert luminance((0.0, 0.0, 0.0)) == 0.0
    assert contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast((1, 1, 1), (0, 0, 0)) == pytest.approx(21.0)
    assert contrast((1, 1, 1), (1, 1, 1)) == pytest.approx(1.0)
    assert contrast((0x76 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.54, abs=0.005)
    assert contrast((0x77 / 255,) * 3, (1, 1, 1)) == pytest.approx(4.48, abs=0.005)
    assert luminance((1.0, 0.0, 0.0)) == pytest.approx(0.2126)  # the channels weighed as sRGB's


def test_the_audit_reports_small_text_small_targets_low_contrast_and_text_off_the_screen(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "KIVY_NO_WINDOW": "1", "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "KIVY_NO_FILELOG": "1", "KIVY_HOME": str(tmp_path / "kivy")}
    out = subprocess.run([sys.executable, "-c", TREE], env=env, capture_output=True, text=True, timeout=120, check=True)
    found = {(p["check"], p["what"].split(" ", 1)[-1]) for p in json.loads(out.stdout.splitlines()[-1])}
    assert ("text", "'small'") in found, found
    assert ("contrast", "'grey'") in found, found
    assert ("outside", "'outside'") in found, found
    assert ("target", "''") in found, found
    assert not {what for _, what in found} & {"'fine'"}, found
