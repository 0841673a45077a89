"""The stress rules over every shipped family, and `revise stress` as an author runs it.

Every family is drawn for STRESS_SEEDS seeds, solved without the PyTorch cross-check (the
problems' own tests and test_families.py cross-check the references) and judged: no seed may
fail to draw or solve, no kept variant may have a trivial answer or let a wrong method score,
and the first seeds may not repeat a question while the family has new ones.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

import content
from content.stress import stress

STRESS_SEEDS = 300
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "content"


@cache
def course() -> content.Course:
    return content.load(seeds=0)


@pytest.mark.parametrize("family_id", [f.id for f in course().families])
def test_family_passes_the_stress_rules(family_id: str) -> None:
    result = stress(course().family(family_id), STRESS_SEEDS)
    assert result.ok, "\n".join(result.problems)
    assert result.kept == STRESS_SEEDS
    assert result.trivial == 0 and result.undistinguished == 0


def test_stress_command_names_a_failing_family_and_exits_2(cli) -> None:
    out = cli("stress", "--content", str(FIXTURES / "trivial_answers.yaml"), "--seeds", "3")
    assert out.returncode == 2, out.stderr
    assert "fixture.relu-of-negatives" in out.stderr
    assert "the answer is zero" in out.stderr
    assert "Traceback" not in out.stderr


def test_stress_command_json_on_a_shipped_family(cli) -> None:
    out = cli("stress", "--family", "gnn.gcn.mean", "--seeds", "20", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    (family,) = data["families"]
    assert family["family"] == "gnn.gcn.mean" and family["kept"] == 20
    assert family["trivial"] == 0 and family["undistinguished"] == 0
    assert 0 < family["answers"]["min"] <= family["answers"]["median"] <= family["answers"]["max"]
    # the mean GCN draws all-zero answers often: the rules throw those draws away
    assert family["redrawn"].get("trivial", 0) > 0
