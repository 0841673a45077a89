"""Parameter samplers of question families: exam-like numbers, drawn deterministically.

In a family file each parameter is either a constant (any YAML value that is not a mapping) or a
mapping with exactly one of these keys:

| sampler | YAML | gives |
|---|---|---|
| constant | `3`, `[1, 2]`, `relu`, `{const: {a: 1}}` | the value itself |
| choice | `{choice: [3, 5, 7], weights: [2, 1, 1]}` | one of the items |
| integer range | `{int: [1, 9], step: 2, exclude: [5]}` | an integer lo ≤ n ≤ hi |
| real range | `{real: [-1, 1], step: 0.1, exclude: [0]}` | lo + k·step, rounded to step's decimals |
| vector | `{vector: SAMPLER, len: 3}` | a list of `len` independent draws |
| matrix | `{matrix: SAMPLER, rows: 2, cols: 3}` | a list of rows |
| list | `{list: [SAMPLER, SAMPLER]}` | one draw of each, in order |
| record | `{record: {kernel: SAMPLER, stride: 1}}` | a mapping, each value drawn |
| expression | `{expr: "(kernel - 1) // 2"}` | computed from values drawn before it |
| simplex | `{simplex: 3, step: 0.1}` | positive multiples of step summing to 1 |
| graph | `{graph: 4, extra: 0.3}` | a connected undirected graph's 0/1 adjacency matrix |

Bounds, lengths and sizes may be numbers or expressions (strings) over values drawn earlier.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    model_validator,
)

from content import limits
from content.expr import ExprError, Expression

__all__ = ["Sampler", "SamplingError", "sample", "expressions_of", "ExprField", "Bound"]

MAX_CANDIDATES = 100_000
Path = tuple[str | int, ...]


class SamplingError(ValueError):
    """A sampler that cannot give a value (an empty range, an expression that fails).

    `path` locates the sampler in its family (`("params", "kernel")`) when known.
    """

    def __init__(self, message: str, path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message)
        self.path = path


# --- field types ----------------------------------------------------------------------------
def _expression(v: Any) -> Expression:
    if isinstance(v, Expression):
        return v
    if not isinstance(v, str):
        raise ValueError("must be an expression written as a string")
    try:
        return Expression(v)
    except ExprError as exc:
        raise ValueError(str(exc)) from None


def _bound(v: Any) -> int | float | Expression:
    if isinstance(v, bool):
        raise ValueError("must be a number or an expression")
    if isinstance(v, int | float | Expression):
        return v
    if isinstance(v, str):
        return _expression(v)
    raise ValueError("must be a number or an expression (a string such as 'kernel + 1')")


def _step(v: Any) -> int | float:
    if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
        raise ValueError("must be a positive number")
    return v


def _range(v: Any) -> list[int | float | Expression]:
    if not isinstance(v, list) or len(v) != 2:
        raise ValueError("must be a range written [low, high]")
    return [_bound(x) for x in v]


ExprField = Annotated[Expression, PlainValidator(_expression), PlainSerializer(lambda e: e.source)]
Bound = Annotated[
    int | float | Expression,
    PlainValidator(_bound),
    PlainSerializer(lambda b: b.source if isinstance(b, Expression) else b),
]
Step = Annotated[int | float, PlainValidator(_step)]
Range = Annotated[list[int | float | Expression], PlainValidator(_range)]


def _number(b: int | float | Expression, env: Mapping[str, Any], what: str) -> int | float:
    if isinstance(b, Expression):
        try:
            v = b.evaluate(env)
        except ExprError as exc:
            raise SamplingError(f"{what}: {exc}") from None
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise SamplingError(f"{what}: {b.source!r} gives {v!r}, not a number")
        return v
    return b


def _whole(b: int | float | Expression, env: Mapping[str, Any], what: str) -> int:
    v = _number(b, env, what)
    if isinstance(v, float):
        if not v.is_integer():
            raise SamplingError(f"{what} must be a whole number, got {v}")
        v = int(v)
    return v


def decimals_of(step: int | float) -> int:
    """How many decimal places a multiple of `step` needs (0.1 → 1, 0.25 → 2, 2 → 0)."""
    exponent = Decimal(str(step)).normalize().as_tuple().exponent
    return max(0, -int(exponent))


# --- samplers -------------------------------------------------------------------------------
class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConstSampler(_Base):
    const: Any


class ChoiceSampler(_Base):
    choice: list[Any] = Field(min_length=1)
    weights: list[Annotated[int | float, PlainValidator(_step)]] | None = None

    @model_validator(mode="after")
    def _weights_match(self) -> ChoiceSampler:
        if self.weights is not None and len(self.weights) != len(self.choice):
            raise ValueError(f"weights: {len(self.weights)} weights for {len(self.choice)} choices")
        return self


class IntSampler(_Base):
    int_: Range = Field(alias="int")
    step: Bound = 1
    exclude: list[int] = []

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RealSampler(_Base):
    real: Range
    step: Step = 0.1
    exclude: list[int | float] = []


class VectorSampler(_Base):
    vector: Sampler
    len: Bound


class MatrixSampler(_Base):
    matrix: Sampler
    rows: Bound
    cols: Bound


class ListSampler(_Base):
    list_: list[Sampler] = Field(alias="list")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RecordSampler(_Base):
    record: dict[str, Sampler]


class ExprSampler(_Base):
    expr: ExprField


class SimplexSampler(_Base):
    simplex: Bound
    step: Step = 0.1


class GraphSampler(_Base):
    graph: Bound
    extra: Annotated[float, Field(ge=0, le=1)] = 0.3


_TAGS: dict[str, str] = {
    "const": "~const",
    "choice": "~choice",
    "int": "~int",
    "real": "~real",
    "vector": "~vector",
    "matrix": "~matrix",
    "list": "~list",
    "record": "~record",
    "expr": "~expr",
    "simplex": "~simplex",
    "graph": "~graph",
}
SAMPLER_KINDS = tuple(_TAGS)


def _sampler_tag(v: Any) -> str | None:
    if type(v) is dict:  # the common case first: a sampler as read from YAML or the cache
        keys = [k for k in v if k in _TAGS]
        return _TAGS[keys[0]] if len(keys) == 1 else None
    if isinstance(v, BaseModel):
        for key, tag in _TAGS.items():
            if key in type(v).model_fields or f"{key}_" in type(v).model_fields:
                return tag
        return None
    if not isinstance(v, dict):
        return "~value"
    keys = [k for k in v if k in _TAGS]
    return _TAGS[keys[0]] if len(keys) == 1 else None


Sampler = Annotated[
    Annotated[Any, Tag("~value")]
    | Annotated[ConstSampler, Tag("~const")]
    | Annotated[ChoiceSampler, Tag("~choice")]
    | Annotated[IntSampler, Tag("~int")]
    | Annotated[RealSampler, Tag("~real")]
    | Annotated[VectorSampler, Tag("~vector")]
    | Annotated[MatrixSampler, Tag("~matrix")]
    | Annotated[ListSampler, Tag("~list")]
    | Annotated[RecordSampler, Tag("~record")]
    | Annotated[ExprSampler, Tag("~expr")]
    | Annotated[SimplexSampler, Tag("~simplex")]
    | Annotated[GraphSampler, Tag("~graph")],
    Discriminator(
        _sampler_tag,
        custom_error_type="sampler",
        custom_error_message="a sampler is a constant or a mapping with exactly one of: "
        + ", ".join(SAMPLER_KINDS),
    ),
]

for _model in (VectorSampler, MatrixSampler, ListSampler, RecordSampler):
    _model.model_rebuild()


# --- drawing --------------------------------------------------------------------------------
def sample(s: Any, rng: random.Random, env: Mapping[str, Any]) -> Any:
    """One draw of sampler `s`, reading earlier values from `env`.

    The values drawn at every level together are counted against `content.limits.MAX_DRAWN`
    before each is made.
    """
    with limits.draw_budget():
        try:
            return _sample(s, rng, env)
        except limits.LimitError as exc:
            raise SamplingError(str(exc)) from None


def _sample(s: Any, rng: random.Random, env: Mapping[str, Any]) -> Any:
    if not isinstance(s, _Base):
        return _copy(s)
    if isinstance(s, ConstSampler):
        return _copy(s.const)
    if isinstance(s, ChoiceSampler):
        if s.weights is None:
            return _copy(s.choice[rng.randrange(len(s.choice))])
        return _copy(rng.choices(s.choice, weights=s.weights, k=1)[0])
    if isinstance(s, IntSampler):
        lo = _whole(s.int_[0], env, "int low")
        hi = _whole(s.int_[1], env, "int high")
        step = _whole(s.step, env, "step")
        if step <= 0:
            raise SamplingError(f"int step must be positive, got {step}")
        if (hi - lo) // step > MAX_CANDIDATES:
            raise SamplingError(f"int range [{lo}, {hi}] is too long")
        candidates = [v for v in range(lo, hi + 1, step) if v not in s.exclude]
        if not candidates:
            raise SamplingError(f"int range [{lo}, {hi}] has no allowed value")
        return candidates[rng.randrange(len(candidates))]
    if isinstance(s, RealSampler):
        lo_r = _number(s.real[0], env, "real low")
        hi_r = _number(s.real[1], env, "real high")
        places = decimals_of(s.step)
        count = int(round((hi_r - lo_r) / s.step, 9))
        if count > MAX_CANDIDATES:
            raise SamplingError(f"real range [{lo_r}, {hi_r}] has too many steps")
        values = [round(lo_r + k * s.step, places) for k in range(count + 1)]
        excluded = {round(float(x), places) for x in s.exclude}
        allowed = [v for v in values if round(v, places) not in excluded]
        if not allowed:
            raise SamplingError(f"real range [{lo_r}, {hi_r}] has no allowed value")
        value = allowed[rng.randrange(len(allowed))]
        return 0.0 if value == 0 else value
    if isinstance(s, VectorSampler):
        n = _whole(s.len, env, "len")
        if not 0 <= n <= MAX_CANDIDATES:
            raise SamplingError(f"vector length {n} is out of range")
        limits.spend(n)
        return [sample(s.vector, rng, env) for _ in range(n)]
    if isinstance(s, MatrixSampler):
        rows = _whole(s.rows, env, "rows")
        cols = _whole(s.cols, env, "cols")
        if not (0 <= rows and 0 <= cols and rows * cols <= MAX_CANDIDATES):
            raise SamplingError(f"matrix shape {rows}×{cols} is out of range")
        limits.spend(rows * cols)
        return [[sample(s.matrix, rng, env) for _ in range(cols)] for _ in range(rows)]
    if isinstance(s, ListSampler):
        return [sample(item, rng, env) for item in s.list_]
    if isinstance(s, RecordSampler):
        return {k: sample(v, rng, env) for k, v in s.record.items()}
    if isinstance(s, ExprSampler):
        try:
            return s.expr.evaluate(env)
        except ExprError as exc:
            raise SamplingError(str(exc)) from None
    if isinstance(s, SimplexSampler):
        n = _whole(s.simplex, env, "simplex size")
        units = round(1 / s.step)
        if n <= 0 or n > units:
            raise SamplingError(f"cannot split 1 into {n} positive multiples of {s.step}")
        limits.spend(n)
        cuts = sorted(rng.sample(range(1, units), n - 1))
        bounds = [0, *cuts, units]
        places = decimals_of(s.step)
        return [round((b - a) * s.step, places) for a, b in zip(bounds, bounds[1:])]
    if isinstance(s, GraphSampler):
        n = _whole(s.graph, env, "graph size")
        if not 1 <= n <= 64:
            raise SamplingError(f"graph size {n} is out of range (1..64)")
        limits.spend(n * n)
        adj = [[0] * n for _ in range(n)]
        for i in range(1, n):  # a random spanning tree keeps the graph connected
            j = rng.randrange(i)
            adj[i][j] = adj[j][i] = 1
        for i in range(n):
            for j in range(i + 1, n):
                if not adj[i][j] and rng.random() < s.extra:
                    adj[i][j] = adj[j][i] = 1
        return adj
    raise TypeError(f"unknown sampler {type(s).__name__}")  # pragma: no cover


def _copy(v: Any) -> Any:
    if isinstance(v, list):
        return [_copy(x) for x in v]
    if isinstance(v, dict):
        return {k: _copy(x) for k, x in v.items()}
    return v


def expressions_of(s: Any, path: Path = ()) -> Iterator[tuple[Path, Expression]]:
    """Every expression inside a sampler, with its path below the sampler (for name checks)."""
    if not isinstance(s, _Base):
        return
    for name in type(s).model_fields:
        value = getattr(s, name)
        key = type(s).model_fields[name].alias or name
        if isinstance(value, Expression):
            yield (*path, key), value
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, Expression):
                    yield (*path, key, i), item
                else:
                    yield from expressions_of(item, (*path, key, i))
        elif isinstance(value, dict) and isinstance(s, RecordSampler):
            for k, item in value.items():
                yield from expressions_of(item, (*path, key, k))
        else:
            yield from expressions_of(value, (*path, key))
