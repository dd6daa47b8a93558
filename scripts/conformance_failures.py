"""Print the failing leaf tests of an ADL conformance suite log, one line each.

python scripts/conformance_failures.py SUITE_DIR/logs/UUID.log
"""

from __future__ import annotations

import json
import sys
from typing import Any


def walk(node: dict[str, Any], path: list[str]) -> int:
    """Print failed leaves under ``node``; return how many."""
    title = node.get("title") or ""
    here = [*path, title] if title else path
    children = node.get("tests") or []
    if not children:
        if node.get("status") == "failed":
            error = str(node.get("error") or "").replace("\n", " ")[:300]
            print(f"FAIL {' > '.join(here)}\n     {error}")
            return 1
        return 0
    return sum(walk(child, here) for child in children)


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        failures = walk(json.load(handle)["log"], [])
    print(f"{failures} failing tests")
