"""Scheduling and storage at scale: 10,000 items and 1,000,000 review rows.

Generates a collection (a course of 10,000 flashcards over 20 topics, 100 reviews each spread
over the past year, states and due dates as fsrs leaves them), then times, in one run:

- building today's queue (`Study.queue()`, target ≤ 50 ms),
- recording one durable review (`Study.record()`: one transaction, WAL, synchronous=FULL,
  target ≤ 10 ms),
- `revise stats` (`Study.stats()` and its text, target ≤ 1 s), and, for information, the whole
  command in a fresh process (which also loads the packaged course).

Medians over several runs; ratios are figure / target. Usage:
python bench/scheduling.py [--items N] [--reviews-per-item K] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import content  # noqa: E402
from content import Card, Topic  # noqa: E402
from revise.store.schema import CURRENT_VERSION, rebuild_counts  # noqa: E402
from revise.study import Study  # noqa: E402
from revise.study_text import stats_lines  # noqa: E402

DAY_MS = 86_400_000
TOPICS = 20


def make_course(items: int) -> content.Course:
    per = items // TOPICS
    topics = tuple(
        Topic(id=f"topic{t}", title=f"Topic {t}", order=t, summary="s", notes=["002"])
        for t in range(TOPICS)
    )
    cards = tuple(
        Card(
            id=f"topic{t}.card{i}",
            topic=f"topic{t}",
            kind="fact",
            front=f"Question {t}.{i}",
            back="Answer",
            source="002",
        )  # fmt: skip
        for t in range(TOPICS)
        for i in range(per)
    )
    return content.Course(topics=topics, cards=cards, families=())


def generate(home: Path, course: content.Course, per_item: int, now: datetime) -> int:
    """Write the collection straight into the database (the schema made by Study)."""
    Study(home, course).close()
    rng = random.Random(6)
    now_ms = int(now.timestamp() * 1000)
    start = now_ms - 365 * DAY_MS
    conn = sqlite3.connect(home / "revise.db")
    conn.execute("PRAGMA synchronous = OFF")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == CURRENT_VERSION
    items: list[tuple[Any, ...]] = []
    reviews: list[tuple[Any, ...]] = []
    review_id = 0
    for num, card in enumerate(course.cards, start=1):
        t = start + rng.randrange(DAY_MS)
        gaps = sorted(rng.random() for _ in range(per_item))
        span = now_ms - t - DAY_MS
        times = [t + int(g * span) for g in gaps]
        state: int | None = None
        stability: float | None = None
        difficulty: float | None = None
        lapses = 0
        last_at: int | None = None
        last_due: int | None = None
        for at in times:
            review_id += 1
            rating = rng.choices((1, 2, 3, 4), (10, 10, 70, 10))[0]
            grow = 0.5 if rating == 1 else 1.25
            new_stability = min(36500.0, max(0.5, (stability or 2.0) * grow))
            change = 0.6 if rating == 1 else -0.1
            new_difficulty = min(10.0, max(1.0, (difficulty or 5.0) + change))
            new_state = 3 if rating == 1 and state == 2 else 2
            lapses += int(rating == 1 and state == 2)
            due = at + int(new_stability * DAY_MS)
            duration = rng.randrange(2000, 60000)
            reviews.append(
                (review_id, num, at, rating, duration, int(rating > 1), 0, state, stability,
                 difficulty, last_due, last_at, new_state, new_stability, new_difficulty, due)
            )  # fmt: skip
            state, stability, difficulty = new_state, new_stability, new_difficulty
            last_at, last_due = at, due
        # spread the due dates so that a realistic few hundred are due today
        due = now_ms + rng.randrange(-3 * DAY_MS, 40 * DAY_MS)
        step = 0 if state == 3 else None
        items.append((num, card.id, "card", state, step, stability, difficulty, due, last_at,
                      lapses, per_item, times[0]))  # fmt: skip
    conn.executemany("INSERT INTO items VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", items)
    conn.executemany(
        "INSERT INTO reviews (id, item, reviewed_at, rating, duration_ms, correct, cram, "
        "prev_state, prev_stability, prev_difficulty, prev_due, prev_last_review, state, "
        "stability, difficulty, due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        reviews,
    )
    rebuild_counts(conn)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return len(reviews)


def median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--reviews-per-item", type=int, default=100)
    parser.add_argument("--keep", metavar="DIR", help="build the collection in DIR and keep it")
    args = parser.parse_args()

    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="revise-bench-"))
    home.mkdir(parents=True, exist_ok=True)
    if (home / "revise.db").exists():
        sys.exit(f"{home / 'revise.db'} exists; give an empty folder")
    now = datetime.now(UTC)
    course = make_course(args.items)
    t = time.perf_counter()
    rows = generate(home, course, args.reviews_per_item, now)
    size = (home / "revise.db").stat().st_size / 2**20
    print(
        f"collection: {len(course.cards):,} items, {rows:,} review rows, {size:.0f} MiB "
        f"(generated in {time.perf_counter() - t:.1f} s)"
    )

    study = Study(home, course)
    queue = study.queue()
    due = [i for i in queue if not i.is_new]
    q_ms = median_ms(study.queue, 21)
    study.set_exam((now + timedelta(days=30)).date().isoformat())
    qx_ms = median_ms(study.queue, 21)
    study.clear_exam()

    targets = iter(due)
    r_ms = median_ms(lambda: study.record(next(targets).id, 3, seconds=5.0), min(51, len(due)))

    def stats_text() -> None:
        stats_lines(study.stats(), None)

    s_ms = median_ms(stats_text, 5)
    env = {**os.environ, "REVISE_HOME": str(home)}
    cli_s: list[float] = []
    cli_error = ""
    for _ in range(3):
        t = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "revise.cli", "stats"], env=env,
                              capture_output=True, text=True)  # fmt: skip
        cli_s.append(time.perf_counter() - t)
        if done.returncode != 0:
            cli_error = (done.stderr.strip().splitlines() or ["?"])[-1]
            break
    try:
        load_s: float | None = median_ms(lambda: content.load(), 3) / 1000
    except Exception as exc:  # the packaged course is not this bench's subject
        load_s, cli_error = None, cli_error or str(exc)
    study.close()

    print(f"queue today: {len(queue)} items ({len(due)} reviews due)")
    rows_out = [
        ("build today's queue", q_ms, 50.0),
        ("build today's queue, exam set", qx_ms, 50.0),
        ("record one review (durable)", r_ms, 10.0),
        ("revise stats (Study.stats + text)", s_ms, 1000.0),
    ]
    for name, ms, target in rows_out:
        verdict = "ok" if ms <= target else "OVER TARGET"
        print(f"{name:36s} {ms:8.1f} ms  {ms / target:5.2f}x of target {target:g} ms  {verdict}")
    if cli_error:
        print(f"{'revise stats, fresh process':36s} could not run: {cli_error}")
    else:
        print(
            f"{'revise stats, fresh process':36s} {statistics.median(cli_s) * 1000:8.0f} ms  "
            f"(of which loading the packaged course ≈ {(load_s or 0) * 1000:.0f} ms; "
            "for information)"
        )
    if not args.keep:
        for p in home.iterdir():
            p.unlink()
        home.rmdir()


if __name__ == "__main__":
    main()
