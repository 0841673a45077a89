"""The parameters of `mlp.network`: a network of any depth given as lists, one item per layer.

Each check gives a one-line message naming the layer (W_2, b_1) a student got wrong.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from engine.errors import ProblemError
from engine.params import ParamModel, Real, Vector, parse_matrix, parse_real, parse_vector
from engine.problems.mlp import Target

ActivationName = Literal["sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax"]
ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "linear", "softmax")


def _weights(v: Any) -> list[list[list[float]]]:
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a list of weight matrices [W₁, …, W_L], one per layer")
    if all(isinstance(r, list | tuple) and r and not isinstance(r[0], list | tuple) for r in v):
        v = [v]  # a single matrix: a network of one layer
    out = []
    for i, m in enumerate(v, start=1):
        try:
            out.append(parse_matrix(m))
        except ValueError as exc:
            raise ValueError(f"W_{i} (item {i - 1}) {exc}") from None
    return out


def _biases(v: Any) -> list[float | list[float]] | None:
    if v is None:
        return None
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a list with one bias vector (or one number) per layer")
    out: list[float | list[float]] = []
    for i, b in enumerate(v, start=1):
        try:
            out.append(parse_vector(b) if isinstance(b, list | tuple) else parse_real(b))
        except ValueError:
            raise ValueError(
                f"b_{i} (item {i - 1}) must be a list of numbers, or one number for every unit"
            ) from None
    return out


def _activations(v: Any) -> list[str]:
    if isinstance(v, str):  # one name for every layer
        v = [v]
    if not isinstance(v, list | tuple) or not v:
        raise ValueError("must be a list of activation names, one per layer")
    for name in v:
        if name not in ACTIVATIONS:
            raise ValueError(f"{name!r} is not one of {', '.join(ACTIVATIONS)}")
    return list(v)


Weights = Annotated[list[list[list[float]]], BeforeValidator(_weights)]
Biases = Annotated[list[float | list[float]] | None, BeforeValidator(_biases)]
Activations = Annotated[list[str], BeforeValidator(_activations)]


class NetworkParams(ParamModel):
    x: Vector = Field(description="input a₀ (n₀ numbers)")
    y: Target = Field(description="targets (one per output), or the true class index with loss=ce")
    weights: Weights = Field(description="[W₁, …, W_L], W_l is n_l×n_{l−1}")
    biases: Biases = Field(
        None, description="[b₁, …, b_L], each a vector or one number for its layer (zeros)"
    )
    activations: Activations = Field(
        description="one per layer: sigmoid, tanh, relu, leaky_relu, linear, softmax (last only)"
    )
    slope: Real = Field(0.01, description="leaky ReLU slope for z ≤ 0")
    loss: Literal["squared", "mse", "ce", "bce"] = Field(
        "squared", description="½·Σ(a − y)², mean of (a − y)², softmax cross-entropy, or BCE"
    )
    lr: Real | None = Field(None, description="learning rate: one gradient-descent step")

    @model_validator(mode="after")
    def _check(self) -> NetworkParams:
        layers = len(self.weights)
        width = len(self.x)
        for i, w in enumerate(self.weights, start=1):
            if len(w[0]) != width:
                source = "x" if i == 1 else f"W_{i - 1}"
                raise ProblemError(
                    "weights",
                    f"W_{i} needs {width} columns to match {source} ({width} values), "
                    f"got {len(w[0])}",
                )
            width = len(w)
        if len(self.activations) == 1 and layers > 1:
            object.__setattr__(self, "activations", self.activations * layers)
        if len(self.activations) != layers:
            raise ProblemError(
                "activations",
                f"expected {layers} names, one per layer, got {len(self.activations)}",
            )
        if "softmax" in self.activations[:-1]:
            raise ProblemError("activations", "softmax may only be the last layer's activation")
        if self.biases is not None:
            if len(self.biases) != layers:
                raise ProblemError(
                    "biases", f"expected {layers} biases, one per layer, got {len(self.biases)}"
                )
            for i, (b, w) in enumerate(zip(self.biases, self.weights), start=1):
                if isinstance(b, list) and len(b) != len(w):
                    raise ProblemError(
                        "biases",
                        f"b_{i} needs {len(w)} numbers, one per row of W_{i}, got {len(b)}",
                    )
        last, out = self.activations[-1], len(self.weights[-1])
        if self.loss == "ce":
            if last != "softmax":
                raise ProblemError("activations", "loss=ce needs a softmax last layer")
            if out < 2:
                raise ProblemError("weights", "cross-entropy needs at least 2 output units")
            y = self.y
            if isinstance(y, float) and y.is_integer():
                y = int(y)
            if not isinstance(y, int) or not 0 <= y < out:
                raise ProblemError(
                    "y",
                    f"with loss=ce, y is the index of the true class, a whole number from 0 "
                    f"to {out - 1}",
                )
        else:
            targets = self.y if isinstance(self.y, list) else [float(self.y)]
            if len(targets) != out:
                raise ProblemError(
                    "y", f"expected {out} target(s), one per output unit, got {len(targets)}"
                )
            if self.loss == "bce":
                if last != "sigmoid":
                    raise ProblemError("activations", "loss=bce needs a sigmoid last layer")
                if any(not 0 <= t <= 1 for t in targets):
                    raise ProblemError("y", "binary cross-entropy targets lie between 0 and 1")
        if self.lr is not None and self.lr <= 0:
            raise ProblemError("lr", "the learning rate must be positive")
        return self

    def bias(self, layer: int) -> list[float]:
        """b_l (layer counted from 0) as a list: a number is used for every unit; zeros if none."""
        rows = len(self.weights[layer])
        if self.biases is None:
            return [0.0] * rows
        b = self.biases[layer]
        return list(b) if isinstance(b, list) else [b] * rows

    def class_index(self) -> int:
        return int(self.y)  # type: ignore[arg-type]

    def targets(self) -> list[float]:
        return list(self.y) if isinstance(self.y, list) else [float(self.y)]

    @property
    def matched_output(self) -> bool:
        """Softmax with CE, sigmoid with BCE: f′ cancels and δ_L = a_L − y."""
        return self.loss in ("ce", "bce")
