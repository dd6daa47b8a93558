"""Text normalisation for titles and for searching without diacritics.

Vietnamese text reaches the catalog in NFC from keyboards, NFD from macOS file names and
some PDF copies, with non-breaking spaces from Word; comparing or searching raw strings
would treat the same title as different.
"""

from __future__ import annotations

import unicodedata

# "đ" is a letter of its own, not "d" plus a mark, so NFKD leaves it alone.
_LETTER_FOLDS = str.maketrans({"đ": "d", "Đ": "D"})


def normalize_text(text: str) -> str:
    """NFC, trimmed, every run of whitespace (tabs, NBSP, newlines) made one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def search_key(text: str) -> str:
    """A folded form for matching: no diacritics, ``đ`` as ``d``, casefolded, spaces collapsed.

    ``search_key("Giáo dục KỶ LUẬT")`` is ``"giao duc ky luat"``, so a search typed without
    a Vietnamese keyboard still finds the module.
    """
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTER_FOLDS))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
