"""Domain errors of the catalog; ``gateway.catalog.routes`` maps them to HTTP.

```
CatalogError
├── ModuleCodeError          text that is not a BDTX module code
├── TermError                a level or audience the annex vocabulary does not know
├── TableError               a catalog table that cannot be imported (lists every row error)
└── UnknownModuleError       a well-formed code with no module in the catalog
```
"""

from __future__ import annotations

from dataclasses import dataclass


class CatalogError(Exception):
    """Base of every error the catalog raises on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ModuleCodeError(CatalogError, ValueError):
    """The text is not a BDTX module code (``GVMN``/``GVPT``/``QLMN``/``QLPT`` + number)."""

    def __init__(self, text: str, reason: str) -> None:
        super().__init__(
            f"Mã mô đun BDTX không hợp lệ / invalid BDTX module code {text!r}: {reason}"
        )
        self.text = text
        self.reason = reason


class TermError(CatalogError, ValueError):
    """A level (Cấp học) or audience (Đối tượng) outside the annex vocabulary."""


@dataclass(frozen=True)
class RowError:
    """One problem in one cell of an imported table; ``row`` counts from 1 like a spreadsheet."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"dòng / row {self.row}, cột / column {self.column!r}: {self.message}"


class TableError(CatalogError):
    """The table cannot be imported; nothing was stored. ``errors`` lists every bad cell."""

    def __init__(self, errors: list[RowError] | str) -> None:
        self.errors: list[RowError] = [] if isinstance(errors, str) else list(errors)
        if isinstance(errors, str):
            message = errors
        else:
            message = "Bảng danh mục không hợp lệ / invalid catalog table:\n" + "\n".join(
                f"  {error}" for error in self.errors
            )
        super().__init__(message)


class UnknownModuleError(CatalogError):
    """No module with this code was ever in the catalog."""

    status_code = 404
