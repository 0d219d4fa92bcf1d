"""Realistic data: branch and file names, date-times, messages, and the byte decoders that draw them."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from ..ecma import LINE_TERMINATORS

# -- realistic vocabulary ---------------------------------------------------------------------------

_PLACES = (
    "Shopping Unicenter", "Palermo", "Belgrano", "Recoleta", "Caballito", "Córdoba Centro", "Nueva Córdoba",
    "Rosario Norte", "Mendoza", "San Martín", "Bahía Blanca", "Mar del Plata", "La Plata", "Tucumán", "Neuquén",
    "Salta", "Punta Carretas", "Montevideo Centro", "Pocitos", "Ñuñoa", "Providencia", "Viña del Mar",
    "Bogotá Norte", "Medellín", "Polanco", "Guadalajara", "São Paulo", "Florianópolis", "Asunción",
    "Lima Miraflores", "Quito", "Alto Palermo", "Abasto", "Paseo Alcorta", "Galerías Pacífico", "Portal Rosario",
    "Depósito Central", "Tienda Online", "Villa Crespo", "Núñez",
)
_PREFIXES = ("", "Sucursal ", "Local ", "Tienda ", "Outlet ")
BRANCH_NAMES: tuple[str, ...] = tuple(p + place for p in _PREFIXES for place in _PLACES)
_FILE_KINDS = ("customers", "purchases", "products", "branches", "stock", "prices", "clientes", "ventas")
_FILE_EXTS = ("csv", "csv", "txt", "json", "xml")
_FILE_ODD = ("Ventas Córdoba {d}.csv", "export ({n}).csv", "clientes_ñandú_{d}.csv", "{k} {d}.CSV",
             "{k}/{d}/{k}.csv")
BASE_DAY = date(2026, 11, 20)
_OFFSETS = ("+00:00", "-03:00", "Z", "-05:00", "+01:00", "+05:30", "-04:00")
ODD_TIMES = ("2019-03-12 12:30:00", "12/03/2019 12:30", "2019-03-12T12:30:00", "1552393800", "2019-03-12",
             "", "yesterday")
MESSAGES = ("Invalid API key", "Bad request", "Too many requests", "Not found", "Internal error",
            "The parameter limit must be between 1 and 100", "ok")
CODES = ("bad_request", "forbidden", "too_many_request", "not_found", "internal_error", "method_not_allowed",
         "ok")
_CONNECTORS = ("vtex", "tiendanube", "shopify", "magento", "custom")
# what the official schema allows in a single-line string but a careful connector would not send
ODD_STRINGS = ("", " ", "Sucursal #1 (vieja)", "東京 Ginza", "Café \"La Única\"", "tab\there", "back\\slash",
               "\u00a0Palermo", "emoji 🛒", "NULL", "\x00", "a" * 300)
WORDS = ("Shopping Unicenter", "", "ok", "Córdoba", "ñandú", "São Paulo", "東京", "a b", "42", "x")


def _file_name(kind: str, days: int, ext: str, odd: int) -> str:
    d = BASE_DAY + timedelta(days=days)
    if odd < 0:
        return f"{kind}-{d.year}_{d.month:02}_{d.day:02}.{ext}"
    return _FILE_ODD[odd].format(d=d.isoformat(), n=days % 7 + 1, k=kind)


def _iso(seconds: int, offset: str, fraction: str) -> str:
    t = datetime(2026, 11, 20, 12, 30) + timedelta(seconds=seconds)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + fraction + offset


SINGLE_LINE = st.text(st.characters(exclude_characters=LINE_TERMINATORS, exclude_categories=["Cs"]),
                      max_size=24)
ANY_JSON: tuple[Any, ...] = ([], {}, None, {"errors": []}, "", 0)
BRANCHES = st.sampled_from(BRANCH_NAMES)


def decode_time(b: bytes) -> str:
    back = int.from_bytes(b[0:3], "big") * 15  # seconds before the base time, up to eight years
    offset = _OFFSETS[b[3] % len(_OFFSETS)]
    fraction = ("", "", "", "", "", ".123456", ".000", ".5")[b[3] // 32]
    return _iso(-back, offset, fraction)


def decode_file(b: bytes) -> str:
    kind = _FILE_KINDS[b[0] % len(_FILE_KINDS)]
    days = -(int.from_bytes(b[1:3], "big") % 2500)
    style = b[3]
    if style < 232:
        return _file_name(kind, days, _FILE_EXTS[style % len(_FILE_EXTS)], -1)
    return _file_name(kind, days, "csv", style % len(_FILE_ODD))


def decode_branch(b: bytes) -> str:
    return BRANCH_NAMES[int.from_bytes(b, "big") % len(BRANCH_NAMES)]


def decode_connector(b: bytes) -> str:
    return _CONNECTORS[b[0] % len(_CONNECTORS)]
