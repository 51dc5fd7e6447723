#!/usr/bin/env python3
"""Compare two output directories written by benches/equivalence.sh.

Every objective, bound, status and plan file must be identical; only timings
may differ. Timing columns (CSV headers and JSON keys naming seconds, time or
elapsed) are dropped, and durations in text and HTML ("1.23 s", "45 ms") are
masked before comparing. Exit status 1 lists every difference found.

    python3 benches/equivalence.py OUT_BEFORE OUT_AFTER
"""
import csv
import io
import json
import re
import sys
from pathlib import Path

TIMING_KEY = re.compile(r"(second|elapsed|time|_ms$|^ms$|duration|timing)", re.I)
DURATION = re.compile(r"\d[\d,]*(\.\d+)?\s*(s|ms|sec|seconds)\b")


def strip_json(value):
    if isinstance(value, dict):
        return {k: strip_json(v) for k, v in value.items() if not TIMING_KEY.search(k)}
    if isinstance(value, list):
        return [strip_json(v) for v in value]
    return value


def csv_rows(text):
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        return rows
    keep = [i for i, name in enumerate(rows[0]) if not TIMING_KEY.search(name)]
    return [[row[i] if i < len(row) else None for i in keep] for row in rows]


def normalise(path: Path, root: Path):
    """What of a file must stay identical; None to skip the file."""
    name = path.name
    if name.startswith("bench-") and name.endswith(".txt"):
        return None  # the bench's table for people: its CSV is compared instead
    data = path.read_bytes()
    if path.suffix == ".json":
        return strip_json(json.loads(data))
    if path.suffix == ".csv":
        return csv_rows(data.decode())
    if path.suffix in (".txt", ".html"):
        return DURATION.sub("<duration>", data.decode().replace(str(root), "<out>"))
    return data


def main(before: Path, after: Path) -> int:
    files_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    files_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"only in {before}: {p}" for p in sorted(files_a - files_b)]
    problems += [f"only in {after}: {p}" for p in sorted(files_b - files_a)]
    compared = 0
    for rel in sorted(files_a & files_b):
        a, b = normalise(before / rel, before), normalise(after / rel, after)
        if a is None:
            continue
        compared += 1
        if a != b:
            detail = ""
            if isinstance(a, list) and isinstance(b, list):
                for i, (ra, rb) in enumerate(zip(a, b)):
                    if ra != rb:
                        detail = f" (first difference at row {i}: {ra} != {rb})"
                        break
                else:
                    detail = f" ({len(a)} rows vs {len(b)})"
            elif isinstance(a, str) and isinstance(b, str):
                la, lb = a.splitlines(), b.splitlines()
                for i, (ra, rb) in enumerate(zip(la, lb)):
                    if ra != rb:
                        detail = f" (line {i + 1}: {ra.strip()[:120]!r} != {rb.strip()[:120]!r})"
                        break
            problems.append(f"differs: {rel}{detail}")
    for p in problems:
        print(p)
    print(f"{compared} files compared, {len(problems)} differences")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
