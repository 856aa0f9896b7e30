"""Reading the hall's catalog from config: one TOML file, or a folder of them.

This is the center's side: it computes the pinyin initials (pypinyin is a center
dependency) that go into the snapshot, so terminals search without pypinyin.
"""
from __future__ import annotations

import sys
from pathlib import Path

from pypinyin import Style, lazy_pinyin

from core.calendar import HallCalendar, shipped_calendar
from core.catalog import Catalog
from core.catalog_model import CatalogFile
from core.config import load_config
from core.errors import ConfigError
from core.paths import CONFIG_DIR

DEFAULT_PATH = CONFIG_DIR / "catalog"


def pinyin_initials(text: str) -> str:
    """'不动产登记（二手房）' → 'bdcdjesf': first letters of the Chinese, other letters and
    digits kept as typed, punctuation dropped."""
    return "".join(ch for chunk in lazy_pinyin(text, style=Style.FIRST_LETTER)
                   for ch in chunk.lower() if ch.isascii() and ch.isalnum())


def load_catalog(path: str | Path = DEFAULT_PATH, calendar: HallCalendar | None = None) -> Catalog:
    """Load and check a catalog file or every `*.toml` of a folder (in name order).

    Shapes first, one line per file that has a bad one; then the rules between entries,
    one line per broken rule. Either way a single `ConfigError`. `calendar`: the hall's, which
    the catalog answers issuing hours with and publishes in its snapshot (default: the
    shipped State Council schedules).
    Environment overrides (ONETRIP__…) are not applied: they are meant for settings, and
    would otherwise inject keys into the catalog."""
    path = Path(path)
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise ConfigError(f"{path}: no *.toml files in this catalog folder")
    parts, broken = [], []
    for file in files:
        try:
            parts.append((str(file), load_config(file, CatalogFile, environ={})))
        except ConfigError as exc:
            broken.append(str(exc))
    if broken:
        raise ConfigError("\n".join(broken))
    return Catalog(parts, pinyin_initials, calendar or shipped_calendar())


def main(argv: list[str]) -> int:
    """`python -m center.catalog_load [path]`: check an edited catalog before publishing it."""
    try:
        catalog = load_catalog(argv[0] if argv else DEFAULT_PATH)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    status = catalog.get_status()
    print(f"catalog {status['version']} ({status['hash'][:12]}): {status['categories']} categories, "
          f"{status['items']} items, {status['life_events']} life events")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
