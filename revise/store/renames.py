"""Carrying review history over to a card's new id, when cards are merged or renamed.

A card that takes over others lists their ids under `replaces:` in the course. When the history
is opened, each replaced id's history moves to the surviving card, in one transaction:

- only the old id has a history: the item is renamed, so its reviews and scheduling state are
  the surviving card's from now on;
- both have one: the old item's reviews move under the surviving card, which keeps the
  scheduling state of whichever of the two was reviewed last (repetitions and lapses add up,
  the first review is the earlier one), and the old item is removed.

Running it again changes nothing, so it runs each time a Study opens (a read when there is
nothing to carry over).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

from revise.store import queries

__all__ = ["carry_history"]


def carry_history(conn: sqlite3.Connection, replaced_by: Mapping[str, str]) -> list[str]:
    """Move the history of each replaced id (key) to its surviving card (value), inside the
    caller's write transaction; the ids whose history moved."""
    moved = []
    for old_id, new_id in sorted(replaced_by.items()):
        old = queries.item(conn, old_id)
        if old is None or old_id == new_id:
            continue
        new = queries.item(conn, new_id)
        if new is None:
            conn.execute("UPDATE items SET id = ? WHERE num = ?", (new_id, old.num))
        else:
            conn.execute("UPDATE reviews SET item = ? WHERE item = ?", (new.num, old.num))
            latest = old if (old.last_review or 0) > (new.last_review or 0) else new
            queries.update_item(
                conn,
                new.num,
                state=latest.state,
                step=latest.step,
                stability=latest.stability,
                difficulty=latest.difficulty,
                due=latest.due,
                last_review=latest.last_review,
                lapses=old.lapses + new.lapses,
                reps=old.reps + new.reps,
            )
            firsts = [f for f in (old.first_review, new.first_review) if f is not None]
            if firsts:
                conn.execute(
                    "UPDATE items SET first_review = ? WHERE num = ?", (min(firsts), new.num)
                )
            queries.delete_item(conn, old.num)
        moved.append(old_id)
    return moved
