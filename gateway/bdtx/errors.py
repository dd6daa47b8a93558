"""Domain errors of the ledger; ``gateway.bdtx.routes`` maps them to HTTP.

```
BdtxError
├── BdtxInputError           a bad value; ``field`` names it
│   └── PeopleTableError     a people file that cannot be imported (lists every bad cell)
├── IdentityConflictError    an LMS identity already linked to another person
└── NotFoundError            no such person, school or mapping
```
"""

from __future__ import annotations

from dataclasses import dataclass


class BdtxError(Exception):
    """Base of every error the ledger raises on purpose."""

    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BdtxInputError(BdtxError, ValueError):
    """A value the ledger refuses; nothing was stored."""

    status_code = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class CellError:
    """One bad cell of an imported people table (rows count from 1, like a spreadsheet)."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"dòng / row {self.row}, cột / column {self.column!r}: {self.message}"


class PeopleTableError(BdtxInputError):
    """The people table cannot be imported; nothing was stored. ``errors`` lists every cell."""

    def __init__(self, errors: list[CellError] | str) -> None:
        self.errors: list[CellError] = [] if isinstance(errors, str) else list(errors)
        text = (
            errors if isinstance(errors, str) else "\n".join(f"  {error}" for error in self.errors)
        )
        super().__init__("file", "Bảng nhân sự không hợp lệ / invalid people table:\n" + text)


class IdentityConflictError(BdtxError):
    """The identity belongs to another person; unlink it first."""

    status_code = 409


class NotFoundError(BdtxError):
    """No such person, school year entry or mapping."""

    status_code = 404
