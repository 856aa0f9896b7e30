"""The window bus's vendor profiles, by the name a terminal config and sim.toml give them.

A vendor profile is one module with one `BusCodec` subclass; add it here to make it configurable.
"""
from __future__ import annotations

from typing import Final

from drivers.windowbus.codec import BusCodec, Side
from drivers.windowbus.ft12 import Ft12Codec
from drivers.windowbus.modbus import ModbusCodec

PROFILES: Final[dict[str, type[BusCodec]]] = {codec.profile: codec for codec in (Ft12Codec, ModbusCodec)}


def known_profile(profile: str) -> str:
    """`profile` if a codec has that name; ValueError naming the known ones (for settings validators)."""
    if profile not in PROFILES:
        raise ValueError(f"unknown window bus profile {profile!r} (known: {', '.join(PROFILES)})")
    return profile


def make_codec(profile: str, side: Side) -> BusCodec:
    return PROFILES[known_profile(profile)](side)
