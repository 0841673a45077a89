"""Variants that test their method: the degenerate draws the issue found stay out.

Each case recomputes the question in the test (PyTorch or plain arithmetic) from the drawn
parameters and checks that the shortcut the degenerate draw allowed would now be marked wrong by
the checker: typing 0, copying a given, or following the wrong method.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import pytest
import torch

import content
from content.models import Family
from content.quality import judge
from engine.checking import check

SEEDS = 40


@cache
def course() -> content.Course:
    return content.load(seeds=0)


def variants(family_id: str, seeds: int = SEEDS) -> list[dict[str, Any]]:
    family = course().family(family_id)
    return [family.variant(seed).params for seed in range(seeds)]


def typed(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        value = value.tolist()
    return json.dumps(value)


def graded_right(family_id: str, params: dict[str, Any], value: Any) -> bool:
    family = course().family(family_id)
    return check(family.problem, params, typed(value), family.part).correct


def t(x: Any) -> torch.Tensor:
    return torch.tensor(x, dtype=torch.float64)


# --- GCN: all-zero answers ---------------------------------------------------------------------
def gcn(params: dict[str, Any], normalization: str) -> torch.Tensor:
    a = t(params["adjacency"]) + torch.eye(len(params["adjacency"]), dtype=torch.float64)
    d = a.sum(dim=1)
    if normalization == "symmetric":
        a = a / torch.sqrt(d)[:, None] / torch.sqrt(d)[None, :]
    else:
        a = a / d[:, None]
    return torch.relu(a @ t(params["features"]) @ t(params["weight"]))


@pytest.mark.parametrize(
    ("family_id", "right", "wrong"),
    [("gnn.gcn.mean", "row", "symmetric"), ("gnn.gcn.symmetric", "symmetric", "row")],
)
def test_gcn_answers_are_not_zero_and_need_their_normalisation(
    family_id: str, right: str, wrong: str
) -> None:
    for params in variants(family_id):
        out = gcn(params, right)
        assert out.abs().max() > 1e-6, params
        assert not graded_right(family_id, params, torch.zeros_like(out)), params
        # the other normalisation (a regular graph makes them agree) is marked wrong
        assert not graded_right(family_id, params, gcn(params, wrong)), params


# --- activations ---------------------------------------------------------------------------------
def test_relu_vector_is_neither_zero_nor_the_input() -> None:
    for params in variants("activations.relu-vector"):
        out = torch.relu(t(params["x"]))
        assert out.abs().max() > 0
        assert not torch.equal(out, t(params["x"]))
        assert not graded_right("activations.relu-vector", params, [0, 0, 0, 0])
        assert not graded_right("activations.relu-vector", params, params["x"])


# --- RNN -------------------------------------------------------------------------------------
def bptt_dw(params: dict[str, Any], recurrent: bool) -> float:
    """∂L/∂W of the scalar RNN; without `recurrent` the gradient does not flow back through
    s_{t−1} (the term the wrong method leaves out)."""
    u, v = t(params["U"]), t(params["V"])
    w = t(params["W"]).requires_grad_(True)
    s = t(params.get("s0", 0.0)).reshape(1, 1)
    loss = torch.zeros((), dtype=torch.float64)
    for x, y in zip(params["xs"], params["ys"]):
        prev = s if recurrent else s.detach()
        s = torch.tanh(u @ t([x]) + w @ prev)
        loss = loss + 0.5 * ((v @ s - t([y])) ** 2).sum()
    loss.backward()
    assert w.grad is not None
    return float(w.grad.item())


def test_bptt_over_two_steps_needs_the_recurrent_term() -> None:
    for params in variants("rnn.bptt.two-steps"):
        full = bptt_dw(params, recurrent=True)
        assert graded_right("rnn.bptt.two-steps", params, [[full]]), params
        assert not graded_right(
            "rnn.bptt.two-steps", params, [[bptt_dw(params, recurrent=False)]]
        ), params


@pytest.mark.parametrize("family_id", ["rnn.bptt.output-weights", "rnn.forward.scalar"])
def test_rnn_inputs_are_not_all_zero(family_id: str) -> None:
    for params in variants(family_id):
        assert any(x != 0 for row in params["xs"] for x in row), params


def test_bptt_output_weights_are_not_zero() -> None:
    for params in variants("rnn.bptt.output-weights"):
        assert not graded_right("rnn.bptt.output-weights", params, [[0]]), params


# --- attention -------------------------------------------------------------------------------
def attention(params: dict[str, Any], scale: float) -> torch.Tensor:
    q, k, v = t(params["q"]), t(params["k"]), t(params["v"])
    return torch.softmax(q @ k.T * scale, dim=-1) @ v


def test_attention_output_needs_the_scale() -> None:
    for params in variants("attention.output"):
        assert any(params["q"][0]), params  # Q = 0 scores every key alike
        d = len(params["q"][0])
        assert graded_right("attention.output", params, attention(params, d**-0.5))
        assert not graded_right("attention.output", params, attention(params, 1.0)), params


def test_unscaled_attention_has_values_that_tell_the_weights_apart() -> None:
    for params in variants("attention.unscaled"):
        assert params["v"][0] != params["v"][1], params
        d = len(params["q"][0])
        assert graded_right("attention.unscaled", params, attention(params, 1.0))
        assert not graded_right("attention.unscaled", params, attention(params, d**-0.5)), params


# --- generative, RL, MLP, Hessian ---------------------------------------------------------------
def test_rbm_energy_has_the_coupling_term() -> None:
    for params in variants("generative.rbm-energy"):
        v, h = t(params["v"]), t(params["h"])
        assert v.sum() > 0 and h.sum() > 0, params
        energy = -(t(params["a"]) @ v) - (t(params["b"]) @ h) - v @ t(params["W"]) @ h
        assert graded_right("generative.rbm-energy", params, float(energy))
        assert not graded_right("generative.rbm-energy", params, 0), params


def test_value_iteration_is_not_the_row_maxima_of_r() -> None:
    for params in variants("rl.value-iteration"):
        r, p = t(params["R"]), t(params["P"])
        q = torch.zeros_like(r)
        for _ in range(params["iterations"]):
            q = r + params["gamma"] * torch.einsum("sat,t->sa", p, q.max(dim=1).values)
        values = q.max(dim=1).values
        assert graded_right("rl.value-iteration", params, values)
        assert not graded_right("rl.value-iteration", params, r.max(dim=1).values), params


@pytest.mark.parametrize(
    "family_id",
    [
        "backprop.mlp.forward-loss",
        "backprop.mlp.grad-w2",
        "backprop.mlp.grad-w1",
        "backprop.mlp.sigmoid-grad-b1",
        "backprop.mlp.softmax-output",
    ],
)
def test_mlp_weight_matrices_are_never_all_zero(family_id: str) -> None:
    for params in variants(family_id):
        assert t(params["w1"]).abs().sum() > 0 and t(params["w2"]).abs().sum() > 0, params


def test_hessian_eigenvalue_family_draws_saddle_points() -> None:
    family = course().family("optimisation.hessian-eigenvalues")
    assert "saddle" in family.title
    for seed in range(SEEDS):
        values = family.variant(seed).values
        a, b, c = values["a"], values["b"], values["c"]
        eigen = torch.linalg.eigvalsh(t([[2 * a, b], [b, 2 * c]]))
        assert eigen[0] < 0 < eigen[1], values


# --- the rules themselves ----------------------------------------------------------------------
def test_judge_names_a_trivial_draw_and_an_untested_one() -> None:
    relu = Family.model_validate(
        {
            "id": "t.relu",
            "topic": "activations",
            "problem": "activation",
            "title": "t",
            "prompt": "t",
            "params": {"name": "relu", "x": -2.0},
            "part": "value",
            "difficulty": 1,
            "source": "000",
        }
    )
    (flaw,) = judge(relu, {"name": "relu", "x": -2.0})
    assert flaw.kind == "trivial" and "zero" in flaw.message
    assert judge(relu, {"name": "relu", "x": -2.0, "alpha": 1.0})[0].kind == "trivial"
    triangle = {
        "adjacency": [[0, 1, 1], [1, 0, 1], [1, 1, 0]],
        "features": [[1, 2], [3, 1], [2, 2]],
        "weight": [[1], [2]],
        "normalization": "symmetric",
    }
    gcn_family = Family.model_validate(
        {
            "id": "t.gcn",
            "topic": "gnn",
            "problem": "gcn.layer",
            "title": "t",
            "prompt": "t",
            "params": {k: {"const": v} if isinstance(v, list) else v for k, v in triangle.items()},
            "tests": ["row_normalized"],
            "difficulty": 1,
            "source": "000",
        }
    )
    flaws = judge(gcn_family, triangle)
    assert [(f.kind, f.tag, f.key) for f in flaws] == [("untested", "row_normalized", "tests")]
    path = {**triangle, "adjacency": [[0, 1, 0], [1, 0, 1], [0, 1, 0]]}
    assert judge(gcn_family, path) == []


def test_first_fifty_seeds_are_distinct_where_the_space_allows() -> None:
    family = course().family("cnn.conv-forward.cross-correlation")
    keys = {json.dumps(family.variant(seed).params, sort_keys=True) for seed in range(50)}
    assert len(keys) == 50
    # a family with few questions gives each before it repeats one
    small = course().family("cnn.pool-output.alexnet")
    first = [json.dumps(small.variant(seed).params, sort_keys=True) for seed in range(12)]
    space = {json.dumps(small.variant(seed).params, sort_keys=True) for seed in range(50)}
    assert len(set(first[: len(space)])) == len(space)


def test_a_variant_is_the_same_whatever_was_drawn_before() -> None:
    data = course().family("gnn.gcn.mean").model_dump(by_alias=True, exclude_defaults=True)
    fresh = Family.model_validate(data)
    late = fresh.variant(30).params
    again = Family.model_validate(data)
    for seed in range(31):
        again.variant(seed)
    assert again.variant(30).params == late


# --- variety on sheets, in decks and in reviews ----------------------------------------------
def sheet_of(selection: Any) -> Any:
    import datetime as dt

    from revise.printout.model import build_sheet

    return build_sheet(
        course(),
        selection,
        solutions="end",
        date=dt.date(2026, 1, 5),
        command="revise print",
        verify=False,
    )


def test_a_sheet_on_one_family_never_repeats_a_question_and_says_so() -> None:
    from revise.printout.select import Selection

    sheet = sheet_of(Selection(families=("gnn.gcn.symmetric",), count=5, seed=3))
    prompts = [q.prompt for q in sheet.questions]
    assert len(prompts) == 5 and len(set(prompts)) == 5
    assert any("gnn.gcn.symmetric is asked 5 times" in note for note in sheet.notes)
    # a family with few questions gives each once, then says the rest are left out
    small = course().family("cnn.pool-output.alexnet")
    space = {json.dumps(small.variant(s).params, sort_keys=True) for s in range(50)}
    sheet = sheet_of(Selection(families=(small.id,), count=len(space) + 3, seed=3))
    assert len({q.prompt for q in sheet.questions}) == len(sheet.questions) == len(space)
    assert any("3 questions are left out" in note for note in sheet.notes)


def test_a_sheet_over_several_families_spreads_before_it_repeats() -> None:
    from revise.printout.select import Selection

    sheet = sheet_of(Selection(topics=("rl",), difficulties=(3,), count=4, seed=1))
    families = [q.family_id for q in sheet.questions]
    assert len(set(families)) == len(families) or sheet.notes


def test_anki_variants_never_repeat_a_question() -> None:
    from revise.printout.anki import build_package

    package, summary = build_package(course(), variants=12, topics=("cnn",), verify=False)
    questions: dict[str, set[str]] = {}
    for deck in package.decks:
        for note in deck.notes:
            if " · seed " in note.fields[-1]:  # a worked variant: its reference is the last field
                family = note.fields[-1].split(" · ")[0]
                assert note.fields[0] not in questions.setdefault(family, set())
                questions[family].add(note.fields[0])
    assert questions
    assert summary.problems < 12 * len(course().families_for("cnn"))  # small families stop early


def test_review_seeds_avoid_the_questions_just_asked(tmp_path: Any) -> None:
    import random

    from revise.fresh_seeds import FreshSeeds

    family = course().family("cnn.pool-output.alexnet")
    fresh = FreshSeeds(course, random.Random(5), 2**31 - 1)
    space = {json.dumps(family.variant(s).params, sort_keys=True) for s in range(50)}
    seeds: list[int] = []
    for _ in range(len(space)):
        seeds.append(fresh.new_seed(family.id, set(seeds), list(reversed(seeds))))
    asked = [json.dumps(family.variant(s).params, sort_keys=True) for s in seeds]
    assert len(set(asked)) == len(space)  # every question once before any comes back


def test_study_hands_out_a_new_question_each_review(tmp_path: Any) -> None:
    from datetime import UTC, datetime, timedelta

    from revise.study import Study

    now = [datetime(2026, 9, 1, 9, tzinfo=UTC)]
    study = Study(tmp_path, course(), lambda: now[0], tz=UTC, fuzz=False)
    family = course().family("cnn.pool-output.alexnet")
    space = {json.dumps(family.variant(s).params, sort_keys=True) for s in range(50)}
    asked = []
    for _ in range(len(space)):
        seed = study.new_seed(family.id)
        asked.append(json.dumps(family.variant(seed).params, sort_keys=True))
        study.record(family.id, 3, seconds=20, answer="1", correct=False, seed=seed)
        now[0] += timedelta(days=1)
    study.close()
    assert len(set(asked)) == len(space)
