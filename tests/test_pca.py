"""pca against torch computed here (eigendecomposition of torch.cov, nn.MSELoss), its stated
conventions (n − 1 covariance, sign of each component, mean squared reconstruction error),
its refusal of ambiguous components, and its misconceptions."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from engine.errors import ProblemError
from engine.registry import get_problem
from engine.solve import solve
from tests.conftest import requires_cuda

DT = torch.float64

# The classic two-feature worked example (Lindsay Smith's PCA tutorial), with its published
# covariance eigenvalues 1.28402771 and 0.0490833989.
TUTORIAL = [
    [2.5, 2.4],
    [0.5, 0.7],
    [2.2, 2.9],
    [1.9, 2.2],
    [3.1, 3.0],
    [2.3, 2.7],
    [2.0, 1.6],
    [1.0, 1.1],
    [1.5, 1.6],
    [1.1, 0.9],
]


def close(ours: Any, theirs: Any, tol: float = 1e-9) -> bool:
    if isinstance(ours, dict):
        return set(ours) == set(theirs) and all(close(ours[k], theirs[k], tol) for k in ours)
    if isinstance(ours, list):
        return len(ours) == len(theirs) and all(close(a, b, tol) for a, b in zip(ours, theirs))
    return abs(ours - theirs) <= tol * max(1.0, abs(theirs))


def sign_fixed(rows: torch.Tensor) -> torch.Tensor:
    """Largest-magnitude entry of each row positive (the first such entry on a tie)."""
    out = rows.clone()
    for row in out:
        mags = row.abs()
        first = int(torch.nonzero(mags >= mags.max() - 1e-9)[0])
        if row[first] < 0:
            row.neg_()
    return out


def torch_pca(X: list[list[float]], k: int) -> tuple[dict[str, Any], torch.Tensor]:
    """PCA the way the test knows it: eigenvectors of torch.cov (n − 1), MSE of the rebuild."""
    data = torch.tensor(X, dtype=DT)
    mean = data.mean(dim=0)
    cov = torch.cov(data.T).reshape(data.shape[1], data.shape[1])
    values, vectors = torch.linalg.eigh(cov)
    values, vectors = values.flip(0), vectors.flip(1).T
    comps = sign_fixed(vectors[:k])
    recon = (data - mean) @ comps.T @ comps + mean
    result = {
        "mean": mean.tolist(),
        "components": comps.tolist(),
        "explained_variance": values[:k].tolist(),
        "reconstruction_error": nn.MSELoss()(recon, data).item(),
    }
    return result, values


@st.composite
def datasets(draw: st.DrawFn) -> tuple[list[list[float]], int]:
    n, d = draw(st.integers(2, 7)), draw(st.integers(1, 4))
    entry = st.floats(-5, 5).map(lambda x: round(x, 2))
    X = draw(st.lists(st.lists(entry, min_size=d, max_size=d), min_size=n, max_size=n))
    return X, draw(st.integers(1, min(n, d)))


@settings(max_examples=100, deadline=None)
@given(case=datasets())
def test_pca_matches_torch(case: tuple[list[list[float]], int]) -> None:
    X, k = case
    expected, values = torch_pca(X, k)
    largest = max(float(values[0]), 0.0)
    gaps = [float(values[i] - values[i + 1]) for i in range(min(k, len(values) - 1))]
    try:
        got = solve("pca", {"X": X, "k": k}).answer  # verified against torch's SVD as well
    except ProblemError as err:
        # refused only when the components really are ambiguous
        assert err.param == "X"
        assert largest == 0 or min(gaps) <= 1e-5 * largest
        return
    if gaps and min(gaps) <= 1e-4 * largest:
        return  # barely separated: eigenvectors agree only to a few digits between methods
    assert close(got, expected, 1e-7)


def test_tutorial_example() -> None:
    got = solve("pca", {"X": TUTORIAL, "k": 1}).answer
    assert got["mean"] == pytest.approx([1.81, 1.91])
    assert got["explained_variance"] == pytest.approx([1.28402771])
    assert got["components"] == [pytest.approx([0.6778734, 0.7351787], abs=1e-7)]
    # the error left is the discarded variance: Σ residual² = (n − 1)·λ₂, spread over n·d entries
    assert got["reconstruction_error"] == pytest.approx(9 * 0.0490833989 / 20)


def test_conventions() -> None:
    X = [[1.0, -2.0, 0.5], [3.0, 0.0, -1.0], [-2.0, 1.5, 2.0], [0.5, -0.5, 1.0], [2.0, 2.0, -3.0]]
    sol = solve("pca", {"X": X, "k": 2})
    got = sol.answer
    data = torch.tensor(X, dtype=DT)
    comps = torch.tensor(got["components"], dtype=DT)
    # orthonormal rows, each with its largest-magnitude entry positive
    assert torch.allclose(comps @ comps.T, torch.eye(2, dtype=DT), atol=1e-12)
    for row in comps:
        assert row[row.abs().argmax()] > 0
    # explained variance = unbiased variance of the codes (n − 1, as scikit-learn)
    codes = (data - data.mean(dim=0)) @ comps.T
    assert got["explained_variance"] == pytest.approx(torch.var(codes, dim=0).tolist())
    # the mean squared error over all entries, as nn.MSELoss
    recon = codes @ comps + data.mean(dim=0)
    assert got["reconstruction_error"] == pytest.approx(nn.MSELoss()(recon, data).item())
    # the trace says so, and says that PCA is the optimal linear autoencoder
    titles = " ".join(s.title + str(s.value) for s in sol.steps)
    assert "n − 1" in titles and "autoencoder" in titles and "mean squared error" in titles


def test_keeping_every_dimension_rebuilds_exactly() -> None:
    X = [[1.0, 2.0], [3.0, 1.0], [0.0, -1.0], [2.0, 2.5]]
    got = solve("pca", {"X": X, "k": 2}).answer
    assert got["reconstruction_error"] == 0.0
    total = torch.var(torch.tensor(X, dtype=DT), dim=0).sum().item()
    assert sum(got["explained_variance"]) == pytest.approx(total)


def test_single_feature_and_constant_data() -> None:
    got = solve("pca", {"X": [[3.0], [3.0]], "k": 1}).answer
    assert got == {
        "mean": [3.0],
        "components": [[1.0]],
        "explained_variance": [0.0],
        "reconstruction_error": 0.0,
    }


@pytest.mark.parametrize(
    ("params", "name", "words"),
    [
        ({"X": [[1, 0], [-1, 0], [0, 1], [0, -1]], "k": 1}, "X", "equal"),
        ({"X": [[1, 0], [-1, 0], [0, 1], [0, -1]], "k": 2}, "X", "equal"),
        ({"X": [[1, 2, 3], [4, 5, 6]], "k": 2}, "X", "equal"),
        ({"X": [[1, 2], [1, 2], [1, 2]], "k": 1}, "X", "no variance"),
        ({"X": [[1, 2, 3]], "k": 1}, "X", "2 rows"),
        ({"X": [[1, 2], [3, 4], [5, 7]], "k": 3}, "k", "min(n, d)"),
        ({"X": [[1, 2], [3, 4]], "k": 0}, "k", "positive"),
        ({"X": [[1, 2], [3]], "k": 1}, "X", "same length"),
        ({"X": [[1, 2], [3, 4]]}, "k", "missing"),
    ],
)
def test_bad_calls_name_the_parameter(params: dict[str, Any], name: str, words: str) -> None:
    with pytest.raises(ProblemError) as err:
        solve("pca", params)
    assert err.value.param == name
    assert words in err.value.message


def test_rank_deficient_data_keeps_the_well_defined_components() -> None:
    X = [[1, 2, 3], [4, 5, 6]]  # two points: one direction of variance
    got = solve("pca", {"X": X, "k": 1}).answer
    direction = torch.tensor([3.0, 3.0, 3.0], dtype=DT) / math.sqrt(27)
    assert got["components"] == [pytest.approx(direction.tolist())]
    assert got["explained_variance"] == pytest.approx([13.5])
    assert got["reconstruction_error"] == 0.0


def test_misconceptions() -> None:
    X = [[2.0, 1.0], [4.0, 3.5], [3.0, 1.5], [5.0, 4.0], [1.0, 0.5]]
    params = {"X": X, "k": 1}
    right = solve("pca", params).answer
    p = get_problem("pca")
    wrong = {m.tag: (m.part, w) for m, w in p.wrong_answers(p.parse_params(params))}
    assert set(wrong) == {
        "biased_covariance",
        "singular_values",
        "ascending_order",
        "uncentred",
        "sum_of_squares",
        "per_sample_error",
    }
    n, d = 5, 2
    lam = right["explained_variance"][0]
    err = right["reconstruction_error"]
    assert wrong["biased_covariance"][1].answer == pytest.approx([lam * (n - 1) / n])
    data = torch.tensor(X, dtype=DT)
    s = torch.linalg.svdvals(data - data.mean(dim=0))
    assert wrong["singular_values"][1].answer == pytest.approx([s[0].item()])
    assert wrong["ascending_order"][1].answer == pytest.approx([(s[1] ** 2 / (n - 1)).item()])
    raw = torch.linalg.eigh(data.T @ data / (n - 1)).eigenvectors[:, -1:].T
    assert close(wrong["uncentred"][1].answer, sign_fixed(raw).tolist())
    assert wrong["sum_of_squares"][1].answer == pytest.approx(err * n * d)
    assert wrong["per_sample_error"][1].answer == pytest.approx(err * d)
    seen: dict[str | None, list[Any]] = {}
    for part, w in wrong.values():
        assert part is not None
        assert not close(w.answer, right[part], 1e-3)
        assert all(not close(w.answer, other, 1e-3) for other in seen.get(part, []))
        seen.setdefault(part, []).append(w.answer)
    # one feature: per-sample and per-entry means agree; a perfect rebuild: nothing to total
    one = {m.tag for m, _ in p.wrong_answers(p.parse_params({"X": [[1.0], [2.0], [4.0]], "k": 1}))}
    assert "per_sample_error" not in one and "sum_of_squares" not in one


@requires_cuda
@pytest.mark.cuda
def test_cuda_reference_equals_cpu() -> None:
    p = get_problem("pca")
    parsed = p.parse_params({"X": TUTORIAL, "k": 2})
    cpu = p.reference(parsed, torch.device("cpu"))
    gpu = p.reference(parsed, torch.device("cuda:0"))
    assert close(gpu, cpu, 1e-6)
    sol = solve("pca", {"X": TUTORIAL, "k": 2}, device="cuda")
    assert sol.verified is not None and sol.verified.device == "cuda:0"


def test_cli(cli) -> None:
    out = cli("solve", "pca", f"X={json.dumps(TUTORIAL)}", "k=1", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data["answer"]) == {
        "mean",
        "components",
        "explained_variance",
        "reconstruction_error",
    }
    assert data["answer"]["explained_variance"] == pytest.approx([1.28402771])
    human = cli("solve", "pca", "X=[[1,0],[3,1],[0,2]]", "k=1")
    assert human.returncode == 0, human.stderr
    assert "Covariance" in human.stdout and "Checked against torch" in human.stdout
    bad = cli("solve", "pca", "X=[[1,0],[-1,0],[0,1],[0,-1]]", "k=1")
    assert bad.returncode == 2 and bad.stderr.startswith("revise: error: X:")
