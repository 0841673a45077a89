"""ngram.bigram against counts made in torch here (one-hot products), and by hand."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

SAM = ["I am Sam", "Sam I am", "I do not like green eggs and ham"]


def torch_bigram(corpus: list[str], sentence: str, smoothing: str = "none") -> dict:
    """Bigram counts as a product of one-hot matrices: counts = onehot(prev)ᵀ · onehot(next)."""
    sents = [["<s>", *s.split(), "</s>"] for s in corpus]
    target = ["<s>", *sentence.split(), "</s>"]
    vocab = sorted({w for s in [*sents, target] for w in s})
    ix = {w: i for i, w in enumerate(vocab)}

    def onehot(words: list[str]) -> torch.Tensor:
        idx = torch.tensor([ix[w] for w in words])
        return torch.nn.functional.one_hot(idx, len(vocab)).double()

    prev = onehot([w for s in sents for w in s[:-1]])
    nxt = onehot([w for s in sents for w in s[1:]])
    counts = prev.T @ nxt
    unigram = prev.sum(0)  # how often each word stands before another
    corpus_types = {w for s in sents for w in s} - {"<s>"}
    V = len(corpus_types)
    probs = []
    for a, b in zip(target, target[1:]):
        c, u = counts[ix[a], ix[b]].item(), unigram[ix[a]].item()
        probs.append((c + 1) / (u + V) if smoothing == "add_one" else (c / u if u else 0.0))
    p = math.prod(probs)
    return {
        "probability": p,
        "perplexity": None if p == 0 else p ** (-1 / len(probs)),
        "bigrams": {f"{a} {b}": q for (a, b), q in zip(zip(target, target[1:]), probs)},
    }


def close(a, b, tol: float = 1e-10) -> bool:
    if isinstance(a, dict):
        return set(a) == set(b) and all(close(a[k], b[k], tol) for k in a)
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=tol, abs_tol=tol)


words = st.sampled_from(["a", "b", "c", "d"])
sentences = st.lists(words, min_size=1, max_size=5).map(" ".join)


@settings(max_examples=80, deadline=None)
@given(
    corpus=st.lists(sentences, min_size=1, max_size=4),
    sentence=st.lists(st.sampled_from(["a", "b", "c", "d", "e"]), min_size=1, max_size=5).map(
        " ".join
    ),
    smoothing=st.sampled_from(["none", "add_one"]),
)
def test_matches_torch_counts(corpus: list[str], sentence: str, smoothing: str) -> None:
    call = {"corpus": corpus, "sentence": sentence, "smoothing": smoothing}
    got = solve("ngram.bigram", call, verify=False).answer
    assert close(got, torch_bigram(corpus, sentence, smoothing))


def test_i_am_sam_by_hand() -> None:
    solution = solve("ngram.bigram", {"corpus": SAM, "sentence": "I am Sam"})
    # P(I|<s>) = 2/3, P(am|I) = 2/3, P(Sam|am) = 1/2, P(</s>|Sam) = 1/2
    p = 2 / 3 * 2 / 3 * 1 / 2 * 1 / 2
    assert close(
        solution.answer,
        {
            "probability": p,
            "perplexity": p ** (-1 / 4),
            "bigrams": {"<s> I": 2 / 3, "I am": 2 / 3, "am Sam": 1 / 2, "Sam </s>": 1 / 2},
        },
    )
    assert solution.verified is not None


def test_bigram_convention_vocabulary_and_perplexity() -> None:
    """CONVENTION: V counts word types with </s> but not <s>; N counts </s> too."""
    answer = solve(
        "ngram.bigram", {"corpus": SAM, "sentence": "I am Sam", "smoothing": "add_one"}
    ).answer
    V = 11  # I am Sam do not like green eggs and ham + </s>
    assert answer["bigrams"]["<s> I"] == pytest.approx((2 + 1) / (3 + V))
    assert answer["bigrams"]["Sam </s>"] == pytest.approx((1 + 1) / (2 + V))
    assert answer["perplexity"] == pytest.approx(answer["probability"] ** (-1 / 4))
    vocab = solve("ngram.bigram", {"corpus": SAM, "sentence": "I am", "smoothing": "add_one"})
    assert next(s.value for s in vocab.steps if s.title == "Vocabulary size") == V


def test_unseen_bigram_gives_zero_and_null_perplexity() -> None:
    solution = solve("ngram.bigram", {"corpus": SAM, "sentence": "Sam likes ham"})
    assert solution.answer["probability"] == 0.0
    assert solution.answer["perplexity"] is None
    assert solution.answer["bigrams"]["Sam likes"] == 0.0
    json.loads(json.dumps(solution.to_json(), allow_nan=False))
    smoothed = solve(
        "ngram.bigram", {"corpus": SAM, "sentence": "Sam likes ham", "smoothing": "add_one"}
    ).answer
    # "likes" never occurs: P(ham | likes) = 1/(0 + V)
    assert smoothed["bigrams"]["likes ham"] == pytest.approx(1 / 11)


def test_written_boundary_markers_are_accepted() -> None:
    marked = solve(
        "ngram.bigram", {"corpus": ["<s> I am Sam </s>", "Sam I am"], "sentence": "<s> I am"}
    )
    plain = solve("ngram.bigram", {"corpus": ["I am Sam", "Sam I am"], "sentence": "I am"})
    assert marked.answer == plain.answer
    assert marked.params["sentence"] == "I am"


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"corpus": "I am Sam"}, "corpus"),
        ({"corpus": []}, "corpus"),
        ({"corpus": ["I am", "  "]}, "corpus"),
        ({"sentence": ""}, "sentence"),
        ({"sentence": 3}, "sentence"),
        ({"sentence": "I <s> am"}, "sentence"),
        ({"smoothing": "kneser_ney"}, "smoothing"),
    ],
)
def test_bad_calls_name_the_parameter(change: dict, name: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("ngram.bigram", {"corpus": SAM, "sentence": "I am Sam", **change}, verify=False)
    assert err.value.param == name
    assert "\n" not in str(err.value)


def wrong_answers(call: dict) -> dict:
    problem = get_problem("ngram.bigram")
    return {m.tag: w.answer for m, w in problem.wrong_answers(problem.parse_params(call))}


def test_misconceptions() -> None:
    call = {"corpus": SAM, "sentence": "I am Sam", "smoothing": "add_one"}
    right = solve("ngram.bigram", call).answer
    wrong = wrong_answers(call)
    assert set(wrong) == {
        "v_included_start",
        "no_end_token",
        "perplexity_without_end",
        "forgot_v_in_denominator",
        "perplexity_not_inverted",
    }
    answers = [json.dumps(w, sort_keys=True) for w in wrong.values()]
    assert len(set(answers)) == len(answers)
    assert json.dumps(right, sort_keys=True) not in answers
    assert wrong["v_included_start"]["bigrams"]["<s> I"] == pytest.approx(3 / (3 + 12))
    assert wrong["forgot_v_in_denominator"]["bigrams"]["<s> I"] == pytest.approx(3 / 3)
    no_end = wrong["no_end_token"]
    assert "Sam </s>" not in no_end["bigrams"]
    assert no_end["perplexity"] == pytest.approx(no_end["probability"] ** (-1 / 3))
    assert wrong["perplexity_without_end"]["perplexity"] == pytest.approx(
        right["probability"] ** (-1 / 3)
    )
    # smoothing rules only exist with smoothing
    plain = wrong_answers({**call, "smoothing": "none"})
    assert "v_included_start" not in plain and "forgot_v_in_denominator" not in plain


@requires_cuda
@pytest.mark.parametrize("smoothing", ["none", "add_one"])
def test_cuda_agrees_with_cpu(smoothing: str) -> None:
    call = {"corpus": SAM, "sentence": "Sam I am", "smoothing": smoothing}
    cpu = solve("ngram.bigram", call, device="cpu")
    gpu = solve("ngram.bigram", call, device="cuda")
    assert gpu.verified is not None and gpu.verified.device == "cuda:0"
    assert close(gpu.answer, cpu.answer, 1e-6)


def test_cli(cli) -> None:
    out = cli(
        "solve", "ngram.bigram", f"corpus={json.dumps(SAM)}", "sentence=Sam likes ham", "--json"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["answer"]["perplexity"] is None and data["answer"]["probability"] == 0
    human = cli("solve", "ngram.bigram", f"corpus={json.dumps(SAM)}", "sentence=I am Sam")
    assert human.returncode == 0, human.stderr
    assert "P(am | I)" in human.stdout and "Perplexity" in human.stdout
    bad = cli("solve", "ngram.bigram", "corpus=I am Sam", "sentence=I am")
    assert bad.returncode == 2 and "corpus" in bad.stderr
