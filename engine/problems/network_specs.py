"""The layer objects of `network.summary`: one pydantic model per `type`, read with one-line errors.

The contract's types (conv, pool, bn, act, dropout, flatten, linear, adaptive_avg_pool,
basic_block) are what a person may write; the presets add LeNet-5's and AlexNet's historical
layers (local response normalisation, trainable subsampling, the partially connected C3, the
RBF output), which no one types. `read_layer` turns one JSON object into its model, naming the
layer in every error. This module defines no problem: `network_summary` does.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ValidationError

from engine.errors import ProblemError
from engine.params import (
    NonNegativeIntOrPair,
    ParamModel,
    PositiveInt,
    PositiveIntOrPair,
)
from engine.problems.activations import ActivationName

# No exam network comes near these; they keep every count well inside int64.
MAX_CHANNELS = 100_000
MAX_LAYERS = 200


def _padding(v: Any) -> Any:
    if v == "same":
        return "same"
    if isinstance(v, str):
        raise ValueError('must be a whole number ≥ 0, a pair [h, w], or "same"')
    return v


def _channels(v: Any) -> Any:
    if isinstance(v, int) and not isinstance(v, bool) and v > MAX_CHANNELS:
        raise ValueError(f"must be at most {MAX_CHANNELS:,}")
    return v


Channels = Annotated[PositiveInt, BeforeValidator(_channels)]
Padding = Annotated[NonNegativeIntOrPair | Literal["same"], BeforeValidator(_padding)]


class Conv(ParamModel):
    type: Literal["conv"]
    out_channels: Channels
    kernel: PositiveIntOrPair
    stride: PositiveIntOrPair = 1
    padding: Padding = 0
    dilation: PositiveIntOrPair = 1
    groups: PositiveInt = 1
    bias: bool = True


class Pool(ParamModel):
    type: Literal["pool"]
    kind: Literal["max", "avg"] = "max"
    kernel: PositiveIntOrPair
    stride: PositiveIntOrPair | None = None
    padding: NonNegativeIntOrPair = 0
    ceil_mode: bool = False


class BatchNorm(ParamModel):
    type: Literal["bn"]


class Activation(ParamModel):
    type: Literal["act"]
    name: ActivationName = "relu"


class Dropout(ParamModel):
    type: Literal["dropout"]
    p: Annotated[float, BeforeValidator(lambda v: _probability(v))] = 0.5


class Flatten(ParamModel):
    type: Literal["flatten"]


class Linear(ParamModel):
    type: Literal["linear"]
    out_features: Channels
    bias: bool = True


class AdaptiveAvgPool(ParamModel):
    type: Literal["adaptive_avg_pool"]
    output: PositiveIntOrPair = 1


class BasicBlock(ParamModel):
    type: Literal["basic_block"]
    out_channels: Channels
    stride: PositiveInt = 1


# Layers only the presets use: the historical parts of LeNet-5 (1998) and AlexNet (2012).
class LocalResponseNorm(ParamModel):
    type: Literal["lrn"]


class Subsampling(ParamModel):
    """LeNet-5's S2/S4: a 2×2 sum times a trainable coefficient plus a trainable bias, per map."""

    type: Literal["subsample"]


class PartialConv(ParamModel):
    """LeNet-5's C3: 5×5 kernels, each output map reading only the input maps its table row lists."""

    type: Literal["partial_conv"]
    kernel: PositiveInt
    table: tuple[tuple[int, ...], ...]


class EuclideanRBF(ParamModel):
    """LeNet-5's output: one squared distance to a fixed (untrained) centre per class."""

    type: Literal["rbf"]
    out_features: PositiveInt


Layer = (
    Conv
    | Pool
    | BatchNorm
    | Activation
    | Dropout
    | Flatten
    | Linear
    | AdaptiveAvgPool
    | BasicBlock
    | LocalResponseNorm
    | Subsampling
    | PartialConv
    | EuclideanRBF
)
PUBLIC: dict[str, type[ParamModel]] = {
    "conv": Conv,
    "pool": Pool,
    "bn": BatchNorm,
    "act": Activation,
    "dropout": Dropout,
    "flatten": Flatten,
    "linear": Linear,
    "adaptive_avg_pool": AdaptiveAvgPool,
    "basic_block": BasicBlock,
}


def _probability(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float) or not 0 <= v < 1:
        raise ValueError("must be a probability in [0, 1)")
    return float(v)


def read_layer(raw: Any, where: str) -> Layer:
    """One layer object of the contract, or a one-line ProblemError naming `where` (layers[2])."""
    if not isinstance(raw, dict):
        raise ProblemError(where, 'must be a layer object such as {"type": "conv", ...}')
    kind = raw.get("type")
    if kind not in PUBLIC:
        known = ", ".join(PUBLIC)
        raise ProblemError(where, f"unknown layer type {kind!r} (the types are: {known})")
    model = PUBLIC[kind]
    unknown = [k for k in raw if k not in model.model_fields]
    if unknown:
        keys = ", ".join(k for k in model.model_fields if k != "type")
        takes = f"takes {keys}" if keys else "takes no settings"
        raise ProblemError(where, f"unknown key {unknown[0]!r} (a {kind} layer {takes})")
    try:
        return model.model_validate(raw)  # type: ignore[return-value]
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = [str(x) for x in err.get("loc", ())][:1]
        if err.get("type") == "missing":
            raise ProblemError(where, f"a {kind} layer needs {loc[0]}") from None
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        raise ProblemError(f"{where}.{loc[0]}" if loc else where, message) from None
