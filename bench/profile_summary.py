"""Summarize a py-spy ``--format raw`` profile (collapsed stacks) of the server.

    .venv/bin/python bench/profile_summary.py PROFILE.txt [--top 30] [--under FUNC]

Prints, over the samples in which the process was doing something (idle event-loop
and idle thread-pool waits are dropped), the functions with the largest inclusive and
self share. ``--under`` keeps only the samples whose stack contains FUNC (a substring of
``function (file)``), to break down one request handler.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

# Frames that mean "waiting for work", not work.
IDLE = (
    "get (queue.py",
    "Condition.wait (threading.py",
    "select (selectors.py",
    "_worker (concurrent/futures/thread.py",
    "wait (threading.py",
    "run_forever (asyncio/base_events.py",
    "_run_once (asyncio/base_events.py",
)
LINE = re.compile(r" \((.*?):\d+\)$")


def frame_name(frame: str) -> str:
    """``func (path:line)`` -> ``func (short/path)``, so lines of one function merge."""
    match = LINE.search(frame)
    if not match:
        return frame
    path = match.group(1)
    for marker in ("site-packages/", "lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{frame[: match.start()]} ({path})"


def load(path: Path, under: str | None) -> list[tuple[list[str], int]]:
    stacks: list[tuple[list[str], int]] = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";")]
        leaf = frames[-1]
        if any(leaf.startswith(idle) for idle in IDLE):
            continue
        if under and not any(under in f for f in frames):
            continue
        stacks.append((frames, int(count)))
    return stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--under")
    parser.add_argument("--children", help="break FUNC's inclusive time down by the frame it calls")
    args = parser.parse_args()
    stacks = load(args.profile, args.under)
    total = sum(count for _, count in stacks)
    if not total:
        print("no busy samples")
        return 1
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, count in stacks:
        for name in set(frames):
            inclusive[name] += count
        own[frames[-1]] += count
    print(f"{total} busy samples" + (f" under {args.under!r}" if args.under else ""))
    if args.children:
        callees: Counter[str] = Counter()
        for frames, count in stacks:
            for depth, name in enumerate(frames):
                if args.children in name:
                    callee = frames[depth + 1] if depth + 1 < len(frames) else "(self)"
                    callees[callee] += count
                    break
        inside = sum(callees.values())
        print(f"\n{args.children!r}: {100 * inside / total:.1f}% of busy samples; by callee")
        for name, count in callees.most_common(args.top):
            print(f"{100 * count / total:10.1f}  {name}")
        return 0
    print("\ninclusive %  function")
    for name, count in inclusive.most_common(args.top):
        print(f"{100 * count / total:10.1f}  {name}")
    print("\n     self %  function")
    for name, count in own.most_common(args.top):
        print(f"{100 * count / total:10.1f}  {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
