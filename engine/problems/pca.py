"""Principal component analysis, solved the way it is taught: centre the data, form the
covariance matrix, take its leading eigenvectors, project and reconstruct.

Conventions (all stated in the trace):
- the covariance divides by n − 1, so `explained_variance` matches scikit-learn's;
- each component's largest-magnitude entry is positive (the first such entry when several tie),
  since an eigenvector is only defined up to its sign;
- `reconstruction_error` is the mean squared error over all n·d entries of X, the loss an
  autoencoder is trained with (nn.MSELoss); PCA is the best linear autoencoder for it;
- eigenvalues that coincide make the components ambiguous, and such calls are refused.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import matrix, num, vector
from engine.params import Matrix, ParamModel, PositiveInt
from engine.problem import Problem, Wrong, misconception
from engine.problems.common import fmt, fmt_list
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

# Two eigenvalues closer than this (relative to the largest) count as equal: their eigenvectors
# are then not determined by the data, and nearly so when barely apart.
TIE = 1e-6

# Entries of a component within this of its largest magnitude count as tied for the sign rule.
SIGN_TIE = 1e-9

# Rounding noise (relative to the size of the data) shown as an exact 0 in traces and answers:
# a zero eigenvalue or a perfect reconstruction reads better as 0 than as 3e-16.
NOISE = 1e-12


def _snap(values: Any, scale: float) -> Any:
    import numpy as np

    return np.where(np.abs(values) <= NOISE * scale, 0.0, values)


def _covariance_eigen(X: Any) -> tuple[Any, Any]:
    """Eigenvalues (descending) and unit eigenvectors (as rows) of the n − 1 covariance of X."""
    import numpy as np

    centred = X - X.mean(axis=0)
    cov = centred.T @ centred / (len(X) - 1)
    values, vectors = np.linalg.eigh(cov)
    return values[::-1], vectors[:, ::-1].T


def sign_normalised(rows: Any) -> Any:
    """Flip each row so that its largest-magnitude entry (the first, on a tie) is positive."""
    import numpy as np

    out = np.array(rows, dtype=np.float64)
    for row in out:
        mags = np.abs(row)
        first = int(np.flatnonzero(mags >= mags.max() - SIGN_TIE)[0])
        if row[first] < 0:
            row *= -1
    return out


class PcaParams(ParamModel):
    X: Matrix = Field(description="data, one sample per row (n×d)")
    k: PositiveInt = Field(description="number of components to keep, k ≤ min(n, d)")

    @model_validator(mode="after")
    def _well_defined(self) -> PcaParams:
        import numpy as np

        n, d = len(self.X), len(self.X[0])
        if n < 2:
            raise ProblemError(
                "X", "needs at least 2 rows (samples) to estimate a covariance with n − 1"
            )
        if self.k > min(n, d):
            raise ProblemError(
                "k", f"must be at most min(n, d) = {min(n, d)} for X of shape {n}×{d}, got {self.k}"
            )
        values, _ = _covariance_eigen(np.array(self.X, dtype=np.float64))
        largest = values[0]
        if d > 1 and largest <= 0:
            raise ProblemError(
                "X", "every row is the same, so there is no variance and no principal direction"
            )
        for i in range(min(self.k, d - 1)):
            if values[i] - values[i + 1] <= TIE * largest:
                usable = f"; k = {i} would be well defined" if i >= 1 else ""
                raise ProblemError(
                    "X",
                    f"eigenvalues {i + 1} and {i + 2} of the covariance are (nearly) equal "
                    f"({values[i]:.6g} and {max(values[i + 1], 0.0):.6g}), so component "
                    f"{i + 1} is not unique: any rotation within their plane fits as well"
                    f"{usable}",
                )
        return self


def _pca(X: list[list[float]], k: int, *, centre: bool = True, ddof: int = 1) -> dict[str, Any]:
    """Every intermediate of PCA; `centre` and `ddof` switch in the wrong rules."""
    import numpy as np

    data = np.array(X, dtype=np.float64)
    n, d = data.shape
    mean = data.mean(axis=0) if centre else np.zeros(d)
    centred = data - mean
    cov = centred.T @ centred / (n - ddof)
    values, vectors = np.linalg.eigh(cov)
    order = np.argsort(values)[::-1]
    scale = max(1.0, float(np.abs(data).max()))
    values, vectors = _snap(values[order], scale**2), vectors[:, order].T
    components = sign_normalised(vectors[:k])
    codes = _snap(centred @ components.T, scale)
    recon = _snap(codes @ components + mean, scale)
    residual = _snap(data - recon, scale)
    sse = float(np.sum(residual**2))
    return {
        "n": n,
        "d": d,
        "mean": mean,
        "centred": centred,
        "cov": cov,
        "values": values,
        "ascending": np.sort(values)[:k],
        "components": components,
        "codes": codes,
        "recon": recon,
        "sse": sse,
        "answer": {
            "mean": mean.tolist(),
            "components": components.tolist(),
            "explained_variance": values[:k].tolist(),
            "reconstruction_error": sse / (n * d),
        },
    }


class Pca(Problem[PcaParams]):
    id = "pca"
    summary = (
        "PCA by eigendecomposition of the covariance (n − 1 denominator, as scikit-learn); "
        "reconstruction_error is the mean squared error over all n·d entries."
    )
    topic = "generative"
    Params = PcaParams

    def solve(self, p: PcaParams, trace: Trace) -> Any:
        r = _pca(p.X, p.k)
        n, d, k = r["n"], r["d"], p.k
        ans = r["answer"]
        trace.note(
            "PCA as an autoencoder",
            "PCA is the optimal linear autoencoder: the encoder z = W(x − μ) keeps k numbers, "
            "the decoder x̂ = Wᵀz + μ rebuilds x, and no other k-dimensional linear code gives "
            "a smaller squared reconstruction error. W holds the top k eigenvectors of the "
            "covariance as rows.",
        )
        columns = list(zip(*p.X))
        trace.step(
            "Mean of each feature (column)",
            r"\mu = \frac{1}{n}\sum_{i} x_{i}",
            ", ".join(rf"\frac{{{num(sum(c))}}}{{{n}}}" for c in columns),
            r["mean"],
        )
        trace.step(
            "Centre the data",
            r"X_{c} = X - \mu",
            rf"{matrix(p.X)} - {vector(r['mean'])}",
            r["centred"],
        )
        trace.step(
            "Covariance matrix (divides by n − 1, as scikit-learn)",
            r"C = \frac{1}{n - 1} X_{c}^{T} X_{c}",
            rf"\frac{{1}}{{{n - 1}}} X_{{c}}^{{T}} X_{{c}}",
            r["cov"],
        )
        trace.step(
            "Eigenvalues of C, largest first (the variance along each eigenvector)",
            r"C u = \lambda u",
            rf"\lambda_{{1}} \ge \cdots \ge \lambda_{{{d}}}",
            r["values"],
        )
        trace.step(
            f"Top {k} eigenvectors as rows, each flipped so its largest-magnitude entry is "
            "positive (an eigenvector's sign is arbitrary)",
            r"W = \begin{bmatrix} u_{1} & \cdots & u_{k} \end{bmatrix}^{T}",
            "",
            ans["components"],
        )
        trace.step(
            "Explained variance: the top k eigenvalues",
            r"\lambda_{1}, \ldots, \lambda_{k}",
            "",
            ans["explained_variance"],
        )
        trace.step(
            "Encode: project the centred data onto the components",
            r"Z = X_{c} W^{T}",
            rf"{matrix(r['centred'])} {matrix(r['components'].T)}",
            r["codes"],
        )
        trace.step(
            "Decode: map the codes back and add the mean",
            r"\hat{X} = Z W + \mu",
            rf"{matrix(r['codes'])} {matrix(r['components'])} + {vector(r['mean'])}",
            r["recon"],
        )
        sse = trace.step(
            "Sum of squared residuals (equals (n − 1) times the discarded eigenvalues)",
            r"\sum_{i, j} (X_{ij} - \hat{X}_{ij})^{2} = (n - 1) \sum_{l > k} \lambda_{l}",
            rf"{n - 1} \cdot {num(float(sum(r['values'][k:])))}" if k < d else r"0",
            r["sse"],
        )
        trace.step(
            "Reconstruction error: mean squared error over all n·d entries",
            r"\frac{1}{n d} \sum_{i, j} (X_{ij} - \hat{X}_{ij})^{2}",
            rf"\frac{{{num(sse)}}}{{{n} \cdot {d}}}",
            ans["reconstruction_error"],
        )
        return ans

    def reference(self, p: PcaParams, device: torch.device) -> Any:
        import torch
        import torch.nn.functional as F

        X = torch.tensor(p.X, dtype=torch.float64, device=device)
        n = X.shape[0]
        mean = X.mean(dim=0)
        centred = X - mean
        # right singular vectors of the centred data = eigenvectors of its covariance
        _, S, Vh = torch.linalg.svd(centred, full_matrices=False)
        comps = Vh[: p.k]
        mags = comps.abs()
        first = (mags >= mags.max(dim=1, keepdim=True).values - SIGN_TIE).int().argmax(dim=1)
        signs = torch.sign(comps.gather(1, first.unsqueeze(1)))
        comps = comps * signs
        recon = centred @ comps.T @ comps + mean
        return {
            "mean": mean.tolist(),
            "components": comps.tolist(),
            "explained_variance": (S[: p.k] ** 2 / (n - 1)).tolist(),
            "reconstruction_error": F.mse_loss(recon, X).item(),
        }

    @misconception("biased_covariance", part="explained_variance")
    def _biased_covariance(self, p: PcaParams) -> Wrong | None:
        right = _pca(p.X, p.k)["answer"]["explained_variance"]
        wrong = _pca(p.X, p.k, ddof=0)["answer"]["explained_variance"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You divided the covariance by n = {len(p.X)}. Explained variance uses the "
            f"unbiased covariance, 1/(n − 1) = 1/{len(p.X) - 1}: {fmt_list(right)}.",
        )

    @misconception("singular_values", part="explained_variance")
    def _singular_values(self, p: PcaParams) -> Wrong | None:
        right = _pca(p.X, p.k)["answer"]["explained_variance"]
        n = len(p.X)
        wrong = [max(0.0, lam * (n - 1)) ** 0.5 for lam in right]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"Those are the singular values s of the centred data. The variance along each "
            f"component is s²/(n − 1) = {fmt_list(right)}.",
        )

    @misconception("ascending_order", part="explained_variance")
    def _ascending_order(self, p: PcaParams) -> Wrong | None:
        r = _pca(p.X, p.k)
        wrong = r["ascending"].tolist()
        right = r["answer"]["explained_variance"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You took the k smallest eigenvalues (numpy's eigh lists them in ascending order). "
            f"The principal components have the largest: {fmt_list(right)}.",
        )

    @misconception("uncentred", part="components")
    def _uncentred(self, p: PcaParams) -> Wrong | None:
        import numpy as np

        r = _pca(p.X, p.k, centre=False)
        values = r["values"]
        d = len(values)
        gaps = [values[i] - values[i + 1] for i in range(min(p.k, d - 1))]
        if values[0] <= 0 or any(g <= TIE * values[0] for g in gaps):
            return None  # the wrong rule itself has no unique answer
        wrong = r["answer"]["components"]
        right = _pca(p.X, p.k)["answer"]["components"]
        if not distinct(wrong, right):
            return None
        mean = np.mean(np.array(p.X, dtype=np.float64), axis=0)
        return Wrong(
            wrong,
            f"You did not subtract the mean {fmt_list(mean.tolist())} first, so the top "
            f"direction points towards the mean rather than along the spread. Centre X, then "
            f"take the eigenvectors of the covariance.",
        )

    @misconception("sum_of_squares", part="reconstruction_error")
    def _sum_of_squares(self, p: PcaParams) -> Wrong | None:
        r = _pca(p.X, p.k)
        right = r["answer"]["reconstruction_error"]
        if not distinct(r["sse"], right):
            return None
        return Wrong(
            r["sse"],
            f"That is the total of the squared residuals. The reconstruction error here is "
            f"their mean over all {r['n']}·{r['d']} entries: {fmt(right)}.",
        )

    @misconception("per_sample_error", part="reconstruction_error")
    def _per_sample_error(self, p: PcaParams) -> Wrong | None:
        r = _pca(p.X, p.k)
        right = r["answer"]["reconstruction_error"]
        wrong = r["sse"] / r["n"]
        if not distinct(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You averaged the squared error per sample (divided by n = {r['n']} only). The "
            f"mean squared error divides by every entry, n·d = {r['n'] * r['d']}: {fmt(right)}.",
        )
