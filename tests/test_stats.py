"""`revise stats` and Study.stats(): reviews per day, true retention, states, due, curves."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from study_support import Clock, make_course

from revise.study import Study
from revise.study_text import stats_lines


def at(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 9, day, hour, tzinfo=UTC)


def test_stats_figures(tmp_path: Path) -> None:
    clock = Clock(at(1))
    study = Study(tmp_path, make_course(topics=2, cards_per_topic=3), clock, tz=UTC, fuzz=False)
    for cid in ("t1.c1", "t1.c2", "t1.c3"):
        study.record(cid, 4, seconds=2)  # Easy: in review, due 9 Sep
    clock.now = at(9)
    study.record("t1.c1", 3, seconds=2)  # passed
    study.record("t1.c2", 1, seconds=2)  # forgotten: relearning
    clock.now = at(9, 20)
    stats = study.stats()
    assert stats.reviews_per_day == {"2026-09-01": 3, "2026-09-09": 2}
    assert stats.reviews_total == 5 and stats.cram_reviews == 0
    assert stats.true_retention == 0.5  # of the 2 reviews of items in review, 1 passed
    assert stats.by_state == {
        "new": 3, "learning": 0, "review": 2, "relearning": 1, "retired": 0, "leech": 0,
    }  # fmt: skip
    assert (stats.due_today, stats.due_tomorrow) == (2, 0)  # t1.c3 is due; t1.c2 relearning
    assert [t.topic for t in stats.topics] == ["t1", "t2"]
    assert stats.topics[0].seen == 3 and stats.topics[1].seen == 0
    observed = dict(stats.forgetting_curves["observed"])
    assert observed == {}  # too few reviews for a point yet
    predicted = stats.forgetting_curves["predicted"]
    assert predicted[0][0] == 0.0 and predicted[-1][0] == 90.0
    assert all(a[1] >= b[1] for a, b in zip(predicted, predicted[1:]))  # recall only falls
    data = stats.to_json()
    assert json.loads(json.dumps(data)) == data
    text = "\n".join(stats_lines(stats, UTC))
    assert "true retention 50%" in text and "Due: 2 today, 0 tomorrow." in text


def test_stats_cli_json(cli, tmp_path: Path) -> None:
    r = cli("--home", str(tmp_path / "h"), "stats", "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["reviews_total"] == 0 and data["true_retention"] is None
    assert data["by_state"]["new"] > 0 and data["forecast"]["exam_at"] is None
    r = cli("--home", str(tmp_path / "h"), "stats", "--days", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
