"""Time the tallies DESIGN §4 requires to be fast; prints seconds.

    .venv/bin/python tests/bench/bench_tally.py

- 1,000,000 majority-judgment ballots over 10 priorities: tallied from the merit profiles
  (what SQL aggregates), plus building those profiles from raw ballots in Python for reference;
- 100,000 Schulze ballots over 10 priorities: raw ballots (random, partial) -> pairwise matrix
  -> strongest paths, and the same from the matrix alone.
"""
from __future__ import annotations

import random
import time

from civicsante.voting import aggregate, tally, tally_counts


def bench_mj(n: int = 1_000_000, n_cands: int = 10, grades: int = 7) -> None:
    rng = random.Random(1)
    cands = [f"p{i}" for i in range(n_cands)]
    t = time.perf_counter()
    ballots = [{c: rng.randrange(grades) for c in cands} for _ in range(n)]
    gen = time.perf_counter() - t
    t = time.perf_counter()
    counts, counted = aggregate("majority_judgment", cands, ballots, grades=grades)
    agg = time.perf_counter() - t
    t = time.perf_counter()
    r = tally_counts("majority_judgment", cands, counts, ballots_counted=counted, grades=grades)
    from_counts = time.perf_counter() - t
    print(f"majority_judgment {n:,} ballots x {n_cands}: tally from counts {from_counts:.4f} s"
          f" (aggregating raw ballots in Python {agg:.2f} s; generating {gen:.2f} s);"
          f" winner tier {r.ranking[0]}")


def bench_schulze(n: int = 100_000, n_cands: int = 10) -> None:
    rng = random.Random(2)
    cands = [f"p{i}" for i in range(n_cands)]
    ballots = []
    for _ in range(n):
        order = cands[:]
        rng.shuffle(order)
        ballots.append(order[: rng.randint(1, n_cands)])
    t = time.perf_counter()
    r = tally("schulze", cands, ballots)
    raw = time.perf_counter() - t
    matrix = {a: r.scores[a]["pairwise"] for a in cands}
    t = time.perf_counter()
    tally_counts("schulze", cands, matrix, ballots_counted=n)
    from_matrix = time.perf_counter() - t
    print(f"schulze {n:,} ballots x {n_cands}: from raw ballots {raw:.2f} s,"
          f" from the pairwise matrix {from_matrix:.4f} s; winner tier {r.ranking[0]}")


if __name__ == "__main__":
    bench_mj()
    bench_schulze()
