"""Recount an anonymised ballot file.

Usage::

    python -m civicsante.voting METHOD ballots.json|ballots.csv [--grades N] [--budget N]
                                [--max-approvals N] [--json]

METHOD is one of single, approval, borda, schulze, points, majority_judgment.

JSON format::

    {"method": "majority_judgment", "candidates": ["p1", "p2"],
     "options": {"grades": 7},                     # optional
     "ballots": [{"p1": 6, "p2": 3}, {"p2": 1}]}

with one ballot per item, shaped as the method expects: single "p1"; approval ["p1", "p2"]
(empty list = abstention); borda / schulze ["p2", "p1"] (best first, may be partial);
points {"p1": 3, "p2": 7}; majority_judgment {"p1": 6} (grade 0..G-1, ungraded = 0).

CSV format: a header row with the candidate ids, then one row per ballot, one cell per candidate:
single "1" in the chosen candidate's column (others empty or 0); approval 1 = approved,
0 / empty = not; borda / schulze the rank (1 = best; empty = unranked); points the points
(empty = 0); majority_judgment the grade (empty = ungraded).

Prints the ranking, one tier per line (tied candidates joined by " = "), or the whole result as
JSON with --json. Exits with status 2 on an invalid ballot, naming its position (0-based).
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from dataclasses import asdict

from . import METHODS, InvalidBallot, tally


def _int(cell: str, where: str) -> int:
    try:
        return int(cell)
    except ValueError:
        raise SystemExit(f"{where}: not an integer: {cell!r}") from None


def read_csv(path: str, method: str) -> tuple[list[str], list]:
    with open(path, newline="", encoding="utf-8-sig") as fh:
        rows = list(csv.reader(fh))
    if not rows:
        raise SystemExit(f"{path}: empty file")
    candidates = [c.strip() for c in rows[0]]
    ballots: list = []
    for n, row in enumerate(rows[1:], start=2):
        if not row:  # a truly empty line; a row of empty cells is a (blank) ballot
            continue
        cells = {c: row[k].strip() for k, c in enumerate(candidates) if k < len(row)}
        filled = {c: _int(v, f"line {n}, {c}") for c, v in cells.items() if v}
        if method == "single":
            chosen = [c for c, v in filled.items() if v]
            ballots.append(chosen[0] if len(chosen) == 1 else chosen)
        elif method == "approval":
            ballots.append([c for c, v in filled.items() if v])
        elif method in ("borda", "schulze"):
            ballots.append([c for c, _ in sorted(filled.items(), key=lambda kv: kv[1])])
        else:
            ballots.append(filled)
    return candidates, ballots


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m civicsante.voting",
                                 description="Recount an anonymised ballot file.")
    ap.add_argument("method", choices=sorted(METHODS))
    ap.add_argument("file")
    ap.add_argument("--grades", type=int)
    ap.add_argument("--budget", type=int)
    ap.add_argument("--max-approvals", type=int)
    ap.add_argument("--json", action="store_true", help="print the whole result as JSON")
    args = ap.parse_args(argv)
    options: dict = {}
    if args.file.lower().endswith(".csv"):
        candidates, ballots = read_csv(args.file, args.method)
    else:
        with open(args.file, encoding="utf-8") as fh:
            data = json.load(fh)
        if data.get("method", args.method) != args.method:
            raise SystemExit(f"file is for method {data['method']!r}, not {args.method!r}")
        candidates, ballots = data["candidates"], data["ballots"]
        options.update(data.get("options") or {})
    for key in ("grades", "budget", "max_approvals"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    try:
        result = tally(args.method, candidates, ballots, **options)
    except InvalidBallot as exc:
        print(f"invalid {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(asdict(result), ensure_ascii=False, indent=2, default=float))
    else:
        print(f"{result.method}: {result.ballots_counted} ballots")
        for rank, tier in enumerate(result.ranking, start=1):
            print(f"{rank}. {' = '.join(tier)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
