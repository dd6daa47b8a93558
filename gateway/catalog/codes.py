"""BDTX module codes: one canonical form, parsed leniently.

Codes reach the gateway as ``GVMN 2``, ``GVPT15``, ``gvpt-015``, ``Mô đun GVMN 25``,
``MĐ QLPT 18``, in NFD from some sources and with full-width digits from some IMEs. They
all mean one module, so they are parsed to one :class:`ModuleCode` whose ``key``
(``GVPT15``) is what the database stores and whose ``display`` (``GVPT 15``) is what people
read.

The "Mô đun 1…9" trainings for the 2018 general-education curriculum carry no GV/QL
prefix and are not BDTX codes; they are rejected rather than guessed (BDTX.md, "Trap").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from gateway.catalog.errors import ModuleCodeError
from gateway.catalog.terms import Audience, Level

PREFIXES: tuple[str, ...] = ("GVMN", "GVPT", "QLMN", "QLPT")
# Module lists hold a few dozen modules; a 4-digit number is far more likely a year or a
# course id than a module, so it is refused instead of being stored as a new code.
MAX_MODULE_NUMBER = 999

_LEADING_WORD = re.compile(r"^(?:MÔ\s*ĐUN|MO\s*DUN|MODULE|MĐ)[\s:.\-_]*")
_CODE = re.compile(r"^(GV|QL)(MN|PT)(?:\s*[-._]\s*|\s+)?([0-9]+)$")
_DIGITS_ONLY = re.compile(r"^[0-9]+$")
_ROLE_ONLY = re.compile(r"^(GV|QL)(MN|PT)?\s*[-._]?\s*([0-9]*)$")


@dataclass(frozen=True, order=True)
class ModuleCode:
    """A parsed BDTX module code; build it with :func:`parse_module_code`."""

    prefix: str
    number: int

    def __post_init__(self) -> None:
        if self.prefix not in PREFIXES:
            raise ModuleCodeError(self.prefix, f"tiền tố phải là / prefix must be {PREFIXES}")
        if not 1 <= self.number <= MAX_MODULE_NUMBER:
            raise ModuleCodeError(
                f"{self.prefix} {self.number}",
                f"số mô đun phải từ 1 đến {MAX_MODULE_NUMBER} / "
                f"module number must be 1 to {MAX_MODULE_NUMBER}",
            )

    @property
    def key(self) -> str:
        """Storage and URL form, no space: ``GVPT15``."""
        return f"{self.prefix}{self.number}"

    @property
    def display(self) -> str:
        """Reading form, as the Ministry writes it: ``GVPT 15``."""
        return f"{self.prefix} {self.number}"

    @property
    def audience(self) -> Audience:
        """GV modules are for teachers, QL modules for school managers (CBQL)."""
        return Audience.GV if self.prefix.startswith("GV") else Audience.CBQL

    @property
    def level(self) -> Level:
        """The programme the module list belongs to (MN or PT; GDTX uses the PT lists)."""
        return Level.MN if self.prefix.endswith("MN") else Level.PT

    def __str__(self) -> str:
        return self.display


def parse_module_code(text: str) -> ModuleCode:
    """Parse any accepted spelling of a BDTX module code or raise :class:`ModuleCodeError`.

    Rule (BDTX.md, "Module codes"): NFKC, uppercase, trim, drop a leading "MÔ ĐUN",
    "MO DUN", "MODULE" or "MĐ"; then ``(GV|QL)(MN|PT)``, an optional separator (space,
    dash, dot, underscore) and digits, leading zeros dropped.
    """
    cleaned = " ".join(unicodedata.normalize("NFKC", text).upper().split())
    if not cleaned:
        raise ModuleCodeError(text, "trống / empty")
    body = _LEADING_WORD.sub("", cleaned, count=1)
    match = _CODE.match(body)
    if match is None:
        raise ModuleCodeError(text, _why_not(body))
    role, level, digits = match.groups()
    number = int(digits)
    if not 1 <= number <= MAX_MODULE_NUMBER:
        raise ModuleCodeError(
            text,
            f"số mô đun phải từ 1 đến {MAX_MODULE_NUMBER} / "
            f"module number must be 1 to {MAX_MODULE_NUMBER}",
        )
    return ModuleCode(prefix=role + level, number=number)


def _why_not(body: str) -> str:
    """A reason a person can act on, for the common ways a code goes wrong."""
    if not body:
        return "thiếu mã sau chữ 'Mô đun' / nothing after the word 'Mô đun'"
    if _DIGITS_ONLY.match(body):
        return (
            "thiếu tiền tố GVMN/GVPT/QLMN/QLPT; 'Mô đun 1…9' bồi dưỡng Chương trình GDPT 2018 "
            "không phải mã BDTX / no GVMN/GVPT/QLMN/QLPT prefix; the 2018-curriculum "
            "'Mô đun 1…9' trainings are not BDTX codes"
        )
    role_only = _ROLE_ONLY.match(body)
    if role_only is not None:
        if role_only.group(2) is None:
            return "thiếu cấp học MN hoặc PT sau GV/QL / MN or PT must follow GV/QL"
        if not role_only.group(3):
            return "thiếu số mô đun / module number missing"
    return (
        "không đúng dạng GVMN/GVPT/QLMN/QLPT + số / "
        "not of the form GVMN/GVPT/QLMN/QLPT followed by a number"
    )
