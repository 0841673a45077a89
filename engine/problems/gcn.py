"""Graph convolution: one layer of Kipf & Welling's GCN, H′ = act(D̃^−½ Ã D̃^−½ H W + b).

Owns `gcn.layer`. The engine works with dense matrices, the way the formula is written; the
reference redoes the layer the way PyTorch Geometric's GCNConv does, as messages along a list
of edges (edge weights, appended self-loops, a per-edge normalisation, scatter-add).

Row i of the adjacency lists the nodes that node i gathers from (A[i][j] is the weight of the
edge j → i), and a node's degree is its row sum: for the usual symmetric adjacency this is the
ordinary degree, and for a directed graph it matches GCNConv's in-degree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, model_validator

from engine.compare import differs
from engine.errors import ProblemError
from engine.latex import matrix, num
from engine.params import Matrix, ParamModel, optional_vector
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch


# a bias left out (null) is a layer without one
OptionalBias = Annotated[
    list[float] | None,
    BeforeValidator(
        optional_vector("must be null (no bias) or a list of numbers, one per output feature")
    ),
]

ACTIVATION_LATEX = {
    "relu": (r"\max(0, Z)", r"\max\left(0, {}\right)"),
    "sigmoid": (r"\sigma(Z) = \frac{1}{1 + \exp(-Z)}", r"\sigma\left({}\right)"),
    "tanh": (r"\tanh(Z)", r"\tanh\left({}\right)"),
}


class GcnParams(ParamModel):
    adjacency: Matrix
    features: Matrix
    weight: Matrix
    bias: OptionalBias = None
    self_loops: bool = True
    normalization: Literal["symmetric", "row", "none"] = "symmetric"
    activation: Literal["relu", "none", "sigmoid", "tanh"] = "relu"

    @model_validator(mode="after")
    def _shapes_agree(self) -> GcnParams:
        n, cols = len(self.adjacency), len(self.adjacency[0])
        if n != cols:
            raise ProblemError(
                "adjacency", f"must be square, one row and one column per node; got {n}×{cols}"
            )
        for i, row in enumerate(self.adjacency):
            for j, a in enumerate(row):
                if a < 0:
                    raise ProblemError(
                        "adjacency",
                        f"edge weights must be ≥ 0, but row {i + 1}, column {j + 1} is {num(a)}",
                    )
        if len(self.features) != n:
            raise ProblemError(
                "features",
                f"expected {n} rows (one per node of the {n}×{n} adjacency), "
                f"got {len(self.features)}",
            )
        f = len(self.features[0])
        if len(self.weight) != f:
            raise ProblemError(
                "weight",
                f"expected {f} rows to match the {f} columns of features, got {len(self.weight)}",
            )
        f_out = len(self.weight[0])
        if self.bias is not None and len(self.bias) != f_out:
            raise ProblemError(
                "bias",
                f"expected {f_out} numbers (one per column of weight), got {len(self.bias)}",
            )
        return self


def _inverse(values: np.ndarray, power: float) -> np.ndarray:
    """d^−power for each degree, with 0 for degree 0 (an isolated node gets nothing), as PyG."""
    import numpy as np

    out = np.zeros_like(values)
    positive = values > 0
    out[positive] = values[positive] ** -power
    return out


def propagation_matrix(
    a: np.ndarray, self_loops: bool, normalization: str, degree_source: np.ndarray | None = None
) -> np.ndarray:
    """Â for the given rule. `degree_source` replaces Ã when the degrees are taken from another
    matrix (a misconception: degrees of A while propagating with A + I)."""
    import numpy as np

    a_tilde = a + np.eye(len(a)) if self_loops else a
    deg = (a_tilde if degree_source is None else degree_source).sum(axis=1)
    # Â_ij = Ã_ij / √(d_i·d_j) and Ã_ij / d_i entry by entry: the same as the products with
    # D̃^−½ and D̃⁻¹, but exact where a person gets exact numbers (1/√2 · 1/√2 is not 0.5)
    if normalization == "symmetric":
        scale = np.outer(deg, deg)
        out = np.zeros_like(a_tilde)
        np.divide(a_tilde, np.sqrt(scale), out=out, where=scale > 0)
        return out
    if normalization == "row":
        out = np.zeros_like(a_tilde)
        np.divide(a_tilde, deg[:, None], out=out, where=deg[:, None] > 0)
        return out
    return a_tilde


def activate(z: np.ndarray, activation: str) -> np.ndarray:
    import numpy as np

    if activation == "relu":
        return np.maximum(z, 0.0)
    if activation == "sigmoid":
        # exp(−z) overflows to inf for z < −709; 1/(1 + inf) is the right limit, 0
        with np.errstate(over="ignore"):
            return 1.0 / (1.0 + np.exp(-z))
    if activation == "tanh":
        return np.tanh(z)
    return z


def layer_output(p: GcnParams, **changes: Any) -> list[list[float]]:
    """H′ without a trace, with some settings replaced (used by the misconception rules)."""
    import numpy as np

    q = p.model_copy(update={k: v for k, v in changes.items() if k != "degree_source"})
    a = np.array(q.adjacency, dtype=np.float64)
    degree_source = a if changes.get("degree_source") == "A" else None
    a_hat = propagation_matrix(a, q.self_loops, q.normalization, degree_source)
    z = a_hat @ np.array(q.features) @ np.array(q.weight)
    if q.bias is not None:
        z = z + np.array(q.bias)
    out: list[list[float]] = activate(z, q.activation).tolist()
    return out


def degrees(p: GcnParams, self_loops: bool) -> list[float]:
    """Row sums of A (+ I when self_loops), written as a person would list them."""
    return [sum(row) + (1.0 if self_loops else 0.0) for row in p.adjacency]


def _list(values: list[float]) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"


def _degree_sums(a_tilde: np.ndarray) -> str:
    """Each row sum written out, e.g. diag(1 + 1, 1 + 1 + 1)."""
    sums = []
    for row in a_tilde:
        terms = [num(float(v)) for v in row if v != 0]
        sums.append(" + ".join(terms) if terms else "0")
    return r"\operatorname{diag}(" + ", ".join(sums) + ")"


def _inverse_entries(deg: np.ndarray, root: bool) -> str:
    parts = []
    for d in deg:
        if d == 0:
            parts.append("0")
        elif root:
            parts.append(rf"\frac{{1}}{{\sqrt{{{num(float(d))}}}}}")
        else:
            parts.append(rf"\frac{{1}}{{{num(float(d))}}}")
    return r"\operatorname{diag}(" + ", ".join(parts) + ")"


class GcnLayer(Problem[GcnParams]):
    id = "gcn.layer"
    summary = "One GCN layer (Kipf & Welling): H′ = act(D̃^−½ (A + I) D̃^−½ H W + b)."
    topic = "gnn"
    Params = GcnParams

    def solve(self, p: GcnParams, trace: Trace) -> Any:
        import numpy as np

        a = np.array(p.adjacency, dtype=np.float64)
        h = np.array(p.features, dtype=np.float64)
        w = np.array(p.weight, dtype=np.float64)
        n = len(a)

        if p.self_loops:
            if np.any(np.diag(a) != 0):
                trace.note(
                    "Existing self-loops",
                    "The adjacency already has entries on its diagonal; Ã = A + I adds 1 to "
                    "them (Kipf & Welling's formula). PyTorch Geometric's GCNConv would keep an "
                    "existing self-loop's weight instead.",
                )
            a_tilde = trace.step(
                "Add self-loops, so each node keeps its own features",
                r"\tilde{A} = A + I",
                rf"{matrix(a)} + I_{{{n}}}",
                a + np.eye(n),
            )
        else:
            a_tilde = trace.step(
                "No self-loops: propagate with the adjacency as given",
                r"\tilde{A} = A",
                matrix(a),
                a,
            )

        deg = a_tilde.sum(axis=1)
        if p.normalization == "none":
            trace.note("Normalisation", "normalization=none: the layer sums neighbours, Â = Ã.")
            a_hat = a_tilde
        else:
            trace.step(
                "Degrees: the row sums of Ã, on a diagonal",
                r"\tilde{D}_{ii} = \sum_{j} \tilde{A}_{ij}",
                _degree_sums(a_tilde),
                np.diag(deg),
            )
            if np.any(deg == 0):
                trace.note(
                    "Isolated nodes",
                    "A node with degree 0 has no inverse degree; it is taken as 0 (as PyTorch "
                    "Geometric does), so that node's row of Â is all zeros.",
                )
            if p.normalization == "symmetric":
                s = trace.step(
                    "Inverse square roots of the degrees",
                    r"\tilde{D}^{-\frac{1}{2}}",
                    _inverse_entries(deg, root=True),
                    np.diag(_inverse(deg, 0.5)),
                )
                a_hat = trace.step(
                    "Symmetric normalisation",
                    r"\hat{A} = \tilde{D}^{-\frac{1}{2}} \tilde{A} \tilde{D}^{-\frac{1}{2}}, "
                    r"\quad \hat{A}_{ij} = \frac{\tilde{A}_{ij}}{\sqrt{\tilde{d}_{i} \tilde{d}_{j}}}",
                    f"{matrix(s)} {matrix(a_tilde)} {matrix(s)}",
                    propagation_matrix(a, p.self_loops, "symmetric"),
                )
            else:
                r = trace.step(
                    "Inverse degrees",
                    r"\tilde{D}^{-1}",
                    _inverse_entries(deg, root=False),
                    np.diag(_inverse(deg, 1.0)),
                )
                a_hat = trace.step(
                    "Row normalisation (each node averages its neighbours)",
                    r"\hat{A} = \tilde{D}^{-1} \tilde{A}",
                    f"{matrix(r)} {matrix(a_tilde)}",
                    propagation_matrix(a, p.self_loops, "row"),
                )

        ah = trace.step(
            "Aggregate the neighbours' features",
            r"\hat{A} H",
            f"{matrix(a_hat)} {matrix(h)}",
            a_hat @ h,
        )
        z = trace.step(
            "Transform with the weights",
            r"(\hat{A} H) W",
            f"{matrix(ah)} {matrix(w)}",
            ah @ w,
        )
        if p.bias is not None:
            b = np.array(p.bias)
            z = trace.step(
                "Add the bias to every node's row",
                r"Z = \hat{A} H W + b",
                f"{matrix(z)} + " + r"\left[" + ", ".join(num(v) for v in b) + r"\right]",
                z + b,
            )
        if p.activation == "none":
            trace.note("Activation", "activation=none: the output is Z itself.")
            return z
        formula, template = ACTIVATION_LATEX[p.activation]
        return trace.step(
            f"Activation ({p.activation}), entry by entry",
            r"H' = " + formula,
            template.format(matrix(z)),
            activate(z, p.activation),
        )

    def reference(self, p: GcnParams, device: torch.device) -> Any:
        import torch

        def t(rows: Any) -> torch.Tensor:
            return torch.tensor(rows, dtype=torch.float64, device=device)

        a, x, w = t(p.adjacency), t(p.features), t(p.weight)
        n = a.shape[0]
        # the graph as PyG holds it: edge (source j → target i) with weight A[i][j]
        target, source = torch.nonzero(a, as_tuple=True)
        weight = a[target, source]
        if p.self_loops:
            loops = torch.arange(n, device=device)
            source = torch.cat([source, loops])
            target = torch.cat([target, loops])
            weight = torch.cat([weight, torch.ones(n, dtype=torch.float64, device=device)])
        deg = torch.zeros(n, dtype=torch.float64, device=device).index_add_(0, target, weight)
        if p.normalization == "symmetric":
            d = deg.pow(-0.5)
            d = d.masked_fill(torch.isinf(d), 0.0)
            norm = d[source] * weight * d[target]
        elif p.normalization == "row":
            d = deg.pow(-1.0)
            d = d.masked_fill(torch.isinf(d), 0.0)
            norm = d[target] * weight
        else:
            norm = weight
        # like GCNConv: transform first, then send one message per edge and sum at the target
        xw = torch.nn.functional.linear(x, w.T)
        out = torch.zeros(n, xw.shape[1], dtype=torch.float64, device=device)
        out.index_add_(0, target, norm[:, None] * xw[source])
        if p.bias is not None:
            out = out + t(p.bias)
        if p.activation == "relu":
            out = torch.relu(out)
        elif p.activation == "sigmoid":
            out = torch.sigmoid(out)
        elif p.activation == "tanh":
            out = torch.tanh(out)
        return out.cpu().tolist()

    def _wrong(self, p: GcnParams, feedback: str, **changes: Any) -> Wrong | None:
        wrong = layer_output(p, **changes)
        return Wrong(wrong, feedback) if differs(wrong, layer_output(p)) else None

    @misconception("no_self_loops")
    def _no_self_loops(self, p: GcnParams) -> Wrong | None:
        if not p.self_loops:
            return None
        return self._wrong(
            p,
            f"You left out the self-loops: with Ã = A + I every node also keeps its own "
            f"features, and the degrees are {_list(degrees(p, True))}, not "
            f"{_list(degrees(p, False))}. Add I before computing the degrees.",
            self_loops=False,
        )

    @misconception("added_self_loops")
    def _added_self_loops(self, p: GcnParams) -> Wrong | None:
        if p.self_loops:
            return None
        return self._wrong(
            p,
            "This layer has self_loops=false: propagate with A itself, not A + I.",
            self_loops=True,
        )

    @misconception("row_normalized")
    def _row_normalized(self, p: GcnParams) -> Wrong | None:
        if p.normalization != "symmetric":
            return None
        return self._wrong(
            p,
            "You averaged over neighbours with D̃⁻¹Ã, but the GCN normalises symmetrically: "
            "Â_ij = Ã_ij / √(d̃_i·d̃_j), so each message is scaled by both ends' degrees.",
            normalization="row",
        )

    @misconception("symmetric_normalized")
    def _symmetric_normalized(self, p: GcnParams) -> Wrong | None:
        if p.normalization != "row":
            return None
        return self._wrong(
            p,
            "This layer asks for row normalisation, Â = D̃⁻¹Ã (a mean over neighbours), not "
            "the symmetric D̃^−½ Ã D̃^−½.",
            normalization="symmetric",
        )

    @misconception("no_normalization")
    def _no_normalization(self, p: GcnParams) -> Wrong | None:
        if p.normalization == "none":
            return None
        return self._wrong(
            p,
            "You summed the neighbours' features without normalising: divide by the degrees "
            f"({'D̃^−½ on both sides' if p.normalization == 'symmetric' else 'D̃⁻¹'}) first.",
            normalization="none",
        )

    @misconception("degree_without_self_loop")
    def _degree_without_self_loop(self, p: GcnParams) -> Wrong | None:
        if not p.self_loops or p.normalization == "none":
            return None
        return self._wrong(
            p,
            f"You took the degrees from A before adding the self-loops: D̃ holds the row sums "
            f"of Ã = A + I, {_list(degrees(p, True))}, not {_list(degrees(p, False))}.",
            degree_source="A",
        )

    @misconception("forgot_bias")
    def _forgot_bias(self, p: GcnParams) -> Wrong | None:
        if p.bias is None:
            return None
        return self._wrong(
            p,
            "You left out the bias: add b to every node's row before the activation.",
            bias=None,
        )

    @misconception("forgot_activation")
    def _forgot_activation(self, p: GcnParams) -> Wrong | None:
        if p.activation == "none":
            return None
        return self._wrong(
            p,
            f"You stopped at Z = ÂHW{' + b' if p.bias is not None else ''}: apply "
            f"{p.activation} to every entry to get H′.",
            activation="none",
        )
