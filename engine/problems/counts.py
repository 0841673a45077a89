"""Parameter counts: linear, embedding, BatchNorm and recurrent layers, and whole classic networks.

Owns `params.linear`, `params.embedding`, `params.batchnorm`, `params.rnn` and `params.network`.
The engine counts with the closed formulas a student writes in an exam; the references build the
real torch modules and add up `numel()` of their parameters (and buffers, for BatchNorm).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, model_validator

from engine.device import shapes_device
from engine.errors import ProblemError
from engine.latex import num, text
from engine.params import ParamModel, PositiveInt
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch
    from torch import nn

# Sizes beyond these are never exam questions, and they keep every count inside int64 (what
# torch's numel returns) even for the largest recurrent stack.
MAX_SIZE = 10_000_000
MAX_LAYERS = 1_000


def _at_most(limit: int) -> Any:
    def check(v: int) -> int:
        if v > limit:
            raise ValueError(f"must be at most {limit:,}")
        return v

    return AfterValidator(check)


Size = Annotated[PositiveInt, _at_most(MAX_SIZE)]
Layers = Annotated[PositiveInt, _at_most(MAX_LAYERS)]


def _numel(module: nn.Module) -> int:
    return int(sum(p.numel() for p in module.parameters()))


# --- params.linear ---------------------------------------------------------------------------


class LinearParams(ParamModel):
    in_features: Size
    out_features: Size
    bias: bool = True


class LinearCount(Problem[LinearParams]):
    id = "params.linear"
    summary = "Parameters of a fully connected layer: n_in·n_out weights plus n_out biases."
    topic = "counts"
    Params = LinearParams

    def solve(self, p: LinearParams, trace: Trace) -> Any:
        weights = trace.step(
            "Weights: one per (input, output) pair",
            r"n_{\text{in}} \cdot n_{\text{out}}",
            rf"{num(p.in_features)} \cdot {num(p.out_features)}",
            p.in_features * p.out_features,
        )
        if not p.bias:
            trace.note("Biases", "bias=false: the layer has no bias vector.")
            return weights
        biases = trace.step(
            "Biases: one per output unit",
            r"n_{\text{out}}",
            num(p.out_features),
            p.out_features,
        )
        return trace.step(
            "Total",
            r"(n_{\text{in}} + 1) \cdot n_{\text{out}}",
            rf"{num(weights)} + {num(biases)}",
            weights + biases,
        )

    def reference(self, p: LinearParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        where = shapes_device(device, p.in_features * p.out_features)
        layer = nn.Linear(
            p.in_features, p.out_features, bias=p.bias, device=where, dtype=torch.float64
        )
        return _numel(layer)

    @misconception("forgot_bias")
    def _forgot_bias(self, p: LinearParams) -> Wrong | None:
        if not p.bias:
            return None
        return Wrong(
            p.in_features * p.out_features,
            f"You counted only the {p.in_features}·{p.out_features} weights: each of the "
            f"{p.out_features} output units also has a bias, so add {p.out_features}.",
        )

    @misconception("extra_bias")
    def _extra_bias(self, p: LinearParams) -> Wrong | None:
        if p.bias:
            return None
        return Wrong(
            (p.in_features + 1) * p.out_features,
            f"This layer has bias=false, so there are no biases to add: only the "
            f"{p.in_features}·{p.out_features} weights count.",
        )

    @misconception("bias_per_input")
    def _bias_per_input(self, p: LinearParams) -> Wrong | None:
        if not p.bias or p.in_features == p.out_features:
            return None
        return Wrong(
            p.in_features * p.out_features + p.in_features,
            f"There is one bias per output unit ({p.out_features}), not per input "
            f"({p.in_features}): the total is ({p.in_features} + 1)·{p.out_features}.",
        )


# --- params.embedding ------------------------------------------------------------------------


class EmbeddingParams(ParamModel):
    num_embeddings: Size
    embedding_dim: Size


class EmbeddingCount(Problem[EmbeddingParams]):
    id = "params.embedding"
    summary = "Parameters of an embedding table: one row of embedding_dim numbers per token."
    topic = "counts"
    Params = EmbeddingParams

    def solve(self, p: EmbeddingParams, trace: Trace) -> Any:
        trace.note(
            "An embedding is a lookup table",
            "Each of the V tokens owns one row of d trainable numbers; there is no bias.",
        )
        return trace.step(
            "Table size",
            r"V \cdot d",
            rf"{num(p.num_embeddings)} \cdot {num(p.embedding_dim)}",
            p.num_embeddings * p.embedding_dim,
        )

    def reference(self, p: EmbeddingParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        where = shapes_device(device, p.num_embeddings * p.embedding_dim)
        table = nn.Embedding(p.num_embeddings, p.embedding_dim, device=where, dtype=torch.float64)
        return _numel(table)

    @misconception("added_bias")
    def _added_bias(self, p: EmbeddingParams) -> Wrong | None:
        return Wrong(
            p.num_embeddings * p.embedding_dim + p.embedding_dim,
            f"An embedding is a plain lookup table with no bias: only the "
            f"{p.num_embeddings}·{p.embedding_dim} entries of the table count.",
        )


# --- params.batchnorm ------------------------------------------------------------------------


class BatchNormParams(ParamModel):
    num_features: Size
    affine: bool = True


class BatchNormCount(Problem[BatchNormParams]):
    id = "params.batchnorm"
    summary = (
        "BatchNorm: learnable γ and β (2C when affine) and running mean and variance buffers (2C)."
    )
    topic = "counts"
    Params = BatchNormParams

    def solve(self, p: BatchNormParams, trace: Trace) -> Any:
        c = p.num_features
        if p.affine:
            learnable = trace.step(
                "Learnable: a scale γ and a shift β per channel",
                r"|\gamma| + |\beta| = C + C",
                rf"{num(c)} + {num(c)}",
                2 * c,
            )
        else:
            learnable = trace.step("Learnable: none (affine=false, so no γ and β)", "0", "", 0)
        running = trace.step(
            "Running statistics (buffers, updated but not trained): a mean and a variance "
            "per channel",
            r"|\mu_{\text{run}}| + |\sigma^2_{\text{run}}| = C + C",
            rf"{num(c)} + {num(c)}",
            2 * c,
        )
        trace.note(
            "Not counted",
            "PyTorch also keeps num_batches_tracked, a single step counter: it is neither "
            "trained nor a statistic of the data, so it is left out.",
        )
        return {"learnable": learnable, "running": running}

    def reference(self, p: BatchNormParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        where = shapes_device(device, 4 * p.num_features)
        layer = nn.BatchNorm2d(p.num_features, affine=p.affine, device=where, dtype=torch.float64)
        running = layer.running_mean.numel() + layer.running_var.numel()  # type: ignore[union-attr]
        return {"learnable": _numel(layer), "running": int(running)}

    @misconception("running_as_learnable", part="learnable")
    def _running_as_learnable(self, p: BatchNormParams) -> Wrong | None:
        if not p.affine:
            return None
        c = p.num_features
        return Wrong(
            4 * c,
            f"The running mean and variance ({2 * c} numbers) are buffers updated from batch "
            f"statistics, not trained by gradient descent: only γ and β ({2 * c}) are learnable.",
        )

    @misconception("ignored_affine", part="learnable")
    def _ignored_affine(self, p: BatchNormParams) -> Wrong | None:
        if p.affine:
            return None
        return Wrong(
            2 * p.num_features,
            "With affine=false the layer has no γ and β, so nothing in it is learnable: 0.",
        )

    @misconception("forgot_beta", part="learnable")
    def _forgot_beta(self, p: BatchNormParams) -> Wrong | None:
        if not p.affine:
            return None
        c = p.num_features
        return Wrong(
            c,
            f"Each of the {c} channels has both a scale γ and a shift β: 2·{c} = {2 * c}.",
        )

    @misconception("counted_batch_counter", part="running")
    def _counted_batch_counter(self, p: BatchNormParams) -> Wrong | None:
        c = p.num_features
        return Wrong(
            2 * c + 1,
            f"num_batches_tracked is a step counter, not a running statistic: the running "
            f"buffers are the mean and variance, {c} + {c} = {2 * c}.",
        )


# --- params.rnn ------------------------------------------------------------------------------

GATES = {"rnn": 1, "lstm": 4, "gru": 3}
GATE_TEXT = {
    "rnn": "a plain RNN has G = 1 block: sₜ = tanh(U·xₜ + W·sₜ₋₁ + b), with two bias vectors in PyTorch",
    "lstm": "an LSTM has G = 4 gate blocks (input i, forget f, cell candidate g, output o)",
    "gru": "a GRU has G = 3 gate blocks (reset r, update z, candidate n)",
}


def rnn_count(
    gates: int,
    input_size: int,
    hidden: int,
    layers: int,
    directions: int,
    bias_vectors: int,
    later_input: int | None = None,
) -> int:
    """Parameters of a stacked recurrent net: per layer and direction G·(h·x + h·h + b·h), where
    b is the number of bias vectors per gate and x is the layer's input size."""
    later = hidden * directions if later_input is None else later_input
    total = 0
    for layer in range(layers):
        x = input_size if layer == 0 else later
        total += directions * gates * (hidden * x + hidden * hidden + bias_vectors * hidden)
    return total


class RnnCountParams(ParamModel):
    cell: Literal["rnn", "lstm", "gru"] = "rnn"
    input_size: Size
    hidden_size: Size
    num_layers: Layers = 1
    bidirectional: bool = False
    bias: bool = True
    convention: Literal["pytorch", "textbook"] = "pytorch"

    @property
    def gates(self) -> int:
        return GATES[self.cell]

    @property
    def directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def bias_vectors(self) -> int:
        if not self.bias:
            return 0
        return 2 if self.convention == "pytorch" else 1

    def count(self, **changes: Any) -> int:
        """The count with some settings replaced (used by the misconception rules)."""
        q = self.model_copy(update=changes)
        return rnn_count(
            changes.get("gates", q.gates),
            q.input_size,
            q.hidden_size,
            q.num_layers,
            changes.get("directions", q.directions),
            changes.get("bias_vectors", q.bias_vectors),
            changes.get("later_input"),
        )


def _rnn_layer_formula(p: RnnCountParams, x: int) -> tuple[str, str]:
    g, h = num(p.gates), num(p.hidden_size)
    if p.bias_vectors == 2:
        return (
            r"G \cdot (h \cdot x + h \cdot h + 2h)",
            rf"{g} \cdot ({h} \cdot {num(x)} + {h} \cdot {h} + 2 \cdot {h})",
        )
    if p.bias_vectors == 1:
        return (
            r"G \cdot (h \cdot (h + x) + h)",
            rf"{g} \cdot ({h} \cdot ({h} + {num(x)}) + {h})",
        )
    return r"G \cdot h \cdot (h + x)", rf"{g} \cdot {h} \cdot ({h} + {num(x)})"


class RnnCount(Problem[RnnCountParams]):
    id = "params.rnn"
    summary = (
        "Parameters of a (stacked, bidirectional) RNN/LSTM/GRU; convention=pytorch counts two "
        "bias vectors per gate, textbook one."
    )
    topic = "counts"
    Params = RnnCountParams

    def solve(self, p: RnnCountParams, trace: Trace) -> Any:
        h, d = p.hidden_size, p.directions
        trace.note("Gate blocks", GATE_TEXT[p.cell][0].upper() + GATE_TEXT[p.cell][1:] + ".")
        if not p.bias:
            biases = "bias=false: no bias vectors, so both conventions agree."
        elif p.convention == "pytorch":
            biases = (
                "PyTorch convention: every gate block has an input-to-hidden bias b_ih and a "
                "hidden-to-hidden bias b_hh, two vectors of length h."
            )
        else:
            biases = "Textbook convention: one bias vector of length h per gate block."
        trace.note("Biases", biases)

        formula, substituted = _rnn_layer_formula(p, p.input_size)
        first = trace.step(
            "Layer 1, one direction (input x = input_size)",
            formula,
            substituted,
            rnn_count(p.gates, p.input_size, h, 1, 1, p.bias_vectors),
        )
        later = 0
        if p.num_layers > 1:
            x2 = trace.step(
                "Input size of layers 2 and up: the outputs of all directions of the layer below",
                r"x' = h \cdot D",
                rf"{num(h)} \cdot {num(d)}",
                h * d,
            )
            formula, substituted = _rnn_layer_formula(p, x2)
            later = trace.step(
                "Each of layers 2 and up, one direction (input x' = h·D)",
                formula.replace("x", "x'"),
                substituted,
                rnn_count(p.gates, x2, h, 1, 1, p.bias_vectors),
            )
        total = d * (first + (p.num_layers - 1) * later)
        if p.num_layers == 1:
            return trace.step(
                "Total over D directions", r"D \cdot P_1", rf"{num(d)} \cdot {num(first)}", total
            )
        return trace.step(
            "Total over L layers and D directions",
            r"D \cdot (P_1 + (L - 1) \cdot P_{2})",
            rf"{num(d)} \cdot ({num(first)} + ({num(p.num_layers)} - 1) \cdot {num(later)})",
            total,
        )

    def reference(self, p: RnnCountParams, device: torch.device) -> Any:
        import torch
        from torch import nn

        kinds = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
        size = p.gates * p.hidden_size * (p.input_size + p.hidden_size * (1 + 2 * p.num_layers))
        where = shapes_device(device, size * p.directions)
        module = kinds[p.cell](
            p.input_size,
            p.hidden_size,
            num_layers=p.num_layers,
            bias=p.bias,
            bidirectional=p.bidirectional,
            device=where,
            dtype=torch.float64,
        )
        if p.convention == "pytorch":
            return _numel(module)
        # the textbook's single bias per gate: drop PyTorch's second (hidden-to-hidden) biases
        return int(
            sum(
                t.numel() for name, t in module.named_parameters() if not name.startswith("bias_hh")
            )
        )

    @misconception("single_bias")
    def _single_bias(self, p: RnnCountParams) -> Wrong | None:
        if not p.bias or p.convention != "pytorch":
            return None
        return Wrong(
            p.count(bias_vectors=1),
            f"You used the textbook count with one bias per gate, but PyTorch keeps two "
            f"(b_ih and b_hh): add another {p.hidden_size} per gate block, G·(h·x + h·h + 2h).",
        )

    @misconception("double_bias")
    def _double_bias(self, p: RnnCountParams) -> Wrong | None:
        if not p.bias or p.convention != "textbook":
            return None
        return Wrong(
            p.count(bias_vectors=2),
            "You counted PyTorch's two bias vectors (b_ih and b_hh) per gate, but the textbook "
            "convention has one: G·(h·(h + x) + h).",
        )

    @misconception("wrong_gate_count")
    def _wrong_gate_count(self, p: RnnCountParams) -> Wrong | None:
        if p.cell == "rnn":
            return None
        wrong_gates = 3 if p.cell == "lstm" else 4
        return Wrong(
            p.count(gates=wrong_gates),
            f"You counted {wrong_gates} gate blocks, but "
            f"{GATE_TEXT[p.cell]}; each block has its own weights and biases.",
        )

    @misconception("forgot_bias")
    def _forgot_bias(self, p: RnnCountParams) -> Wrong | None:
        if not p.bias:
            return None
        return Wrong(
            p.count(bias_vectors=0),
            f"You counted only the weight matrices: each gate block also has "
            f"{'two bias vectors' if p.bias_vectors == 2 else 'a bias vector'} of length "
            f"{p.hidden_size}.",
        )

    @misconception("wrong_layer_input")
    def _wrong_layer_input(self, p: RnnCountParams) -> Wrong | None:
        if p.num_layers == 1 or p.input_size == p.hidden_size * p.directions:
            return None
        return Wrong(
            p.count(later_input=p.input_size),
            f"Only layer 1 reads the {p.input_size} input features; layers 2 and up read the "
            f"outputs of the layer below, h·D = {p.hidden_size}·{p.directions} = "
            f"{p.hidden_size * p.directions} numbers.",
        )

    @misconception("forgot_bidirectional")
    def _forgot_bidirectional(self, p: RnnCountParams) -> Wrong | None:
        if not p.bidirectional:
            return None
        return Wrong(
            p.count(bidirectional=False),
            f"A bidirectional layer has two independent sets of weights, one per direction: "
            f"count each layer twice (and layers 2 and up read both directions, "
            f"2·{p.hidden_size} = {2 * p.hidden_size} numbers).",
        )

    @misconception("one_layer_only")
    def _one_layer_only(self, p: RnnCountParams) -> Wrong | None:
        if p.num_layers == 1:
            return None
        return Wrong(
            p.count(num_layers=1),
            f"You counted one layer, but the stack has {p.num_layers}: add the layers above "
            f"the first, each reading h·D = {p.hidden_size * p.directions} inputs.",
        )


# --- params.network --------------------------------------------------------------------------

# LeCun et al. (1998), Table I: the S2 maps (0–5) that each of C3's 16 maps reads.
C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (4, 5, 0),
    (5, 0, 1),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (3, 4, 5, 0),
    (4, 5, 0, 1),
    (5, 0, 1, 2),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

VARIANTS = {"lenet5": ("original", "modern"), "alexnet": ("original", "ungrouped", "torchvision")}

ARCHITECTURE = {
    ("lenet5", "original"): (
        "LeNet-5 as LeCun et al. (1998) describe it, on a 32×32 input. C1: 6 maps, 5×5 kernels. "
        "S2: 2×2 subsampling where each map's sum of 4 inputs is multiplied by one trainable "
        "coefficient and shifted by one trainable bias. C3: 16 maps, 5×5 kernels, connected to "
        "the S2 maps by the paper's Table I (6 maps read 3 inputs, 9 read 4, 1 reads all 6). "
        "S4: like S2, on 16 maps. C5: 120 maps, 5×5 kernels on all 16 S4 maps. F6: 84 units. "
        "OUTPUT: 10 Euclidean RBF units whose 84×10 centres are fixed ±1 bitmaps drawn by hand, "
        "so they are not trained and not counted. The total is the paper's 60,000 trainable "
        "parameters."
    ),
    ("lenet5", "modern"): (
        "The common textbook LeNet-5: conv 6@5×5 on 1 input channel, 2×2 average pooling, "
        "conv 16@5×5 on all 6 maps, 2×2 average pooling, then fully connected 400 → 120 → 84 → "
        "10, every layer with biases. Pooling has no parameters."
    ),
    ("alexnet", "original"): (
        "AlexNet as Krizhevsky et al. (2012) trained it, split over two GPUs: conv1 96@11×11 on "
        "the 3 colour channels (stride 4); conv2 256@5×5 in 2 groups, each kernel reading the "
        "48 maps on its own GPU; conv3 384@3×3 on all 256 maps; conv4 384@3×3 and conv5 "
        "256@3×3 in 2 groups; fc6 9216 → 4096, fc7 4096 → 4096, fc8 4096 → 1000. Local "
        "response normalisation, max pooling, ReLU and dropout have no parameters."
    ),
    ("alexnet", "ungrouped"): (
        "AlexNet's layers (Krizhevsky et al. 2012) on one device, without the two-GPU groups: "
        "conv1 96@11×11×3, conv2 256@5×5×96, conv3 384@3×3×256, conv4 384@3×3×384, conv5 "
        "256@3×3×384, fc6 9216 → 4096, fc7 4096 → 4096, fc8 4096 → 1000."
    ),
    ("alexnet", "torchvision"): (
        "torchvision's alexnet(), after Krizhevsky's 'one weird trick' (2014) version: conv1 "
        "64@11×11×3 (stride 4), conv2 192@5×5×64, conv3 384@3×3×192, conv4 256@3×3×384, conv5 "
        "256@3×3×256, adaptive average pooling to 6×6, fc 9216 → 4096 → 4096 → 1000."
    ),
}


@dataclass(frozen=True)
class LayerCount:
    """One layer of a network as a worked step: how its count is made, and its bias count."""

    name: str
    title: str
    formula: str
    substituted: str
    params: int
    biases: int


def conv_layer(name: str, k: int, c_in: int, c_out: int, groups: int = 1) -> LayerCount:
    if groups == 1:
        return LayerCount(
            name,
            f"{name}: convolution, {c_out} kernels of {k}×{k}×{c_in}",
            r"(k \cdot k \cdot C_{\text{in}} + 1) \cdot C_{\text{out}}",
            rf"({num(k)} \cdot {num(k)} \cdot {num(c_in)} + 1) \cdot {num(c_out)}",
            (k * k * c_in + 1) * c_out,
            c_out,
        )
    return LayerCount(
        name,
        f"{name}: convolution in {groups} groups, {c_out} kernels of {k}×{k}×{c_in // groups}",
        r"(k \cdot k \cdot \frac{C_{\text{in}}}{g} + 1) \cdot C_{\text{out}}",
        rf"({num(k)} \cdot {num(k)} \cdot \frac{{{num(c_in)}}}{{{num(groups)}}} + 1) "
        rf"\cdot {num(c_out)}",
        (k * k * (c_in // groups) + 1) * c_out,
        c_out,
    )


def linear_layer(name: str, n_in: int, n_out: int) -> LayerCount:
    return LayerCount(
        name,
        f"{name}: fully connected, {n_in} → {n_out}",
        r"(n_{\text{in}} + 1) \cdot n_{\text{out}}",
        rf"({num(n_in)} + 1) \cdot {num(n_out)}",
        (n_in + 1) * n_out,
        n_out,
    )


def free_layer(name: str, what: str) -> LayerCount:
    return LayerCount(name, f"{name}: {what}", text("no learned parameters"), "", 0, 0)


def subsampling_layer(name: str, maps: int) -> LayerCount:
    return LayerCount(
        name,
        f"{name}: 2×2 subsampling of {maps} maps, a trainable coefficient and bias per map",
        r"(1 + 1) \cdot C",
        rf"(1 + 1) \cdot {num(maps)}",
        2 * maps,
        maps,
    )


def partial_conv_layer(name: str, k: int, table: tuple[tuple[int, ...], ...]) -> LayerCount:
    by_size: dict[int, int] = {}
    for inputs in table:
        by_size[len(inputs)] = by_size.get(len(inputs), 0) + 1
    groups = " + ".join(rf"{num(c)} \cdot {num(s)}" for s, c in sorted(by_size.items()))
    connections = sum(len(inputs) for inputs in table)
    return LayerCount(
        name,
        f"{name}: convolution, {len(table)} maps of {k}×{k} kernels, each on the input maps "
        f"its row of the connection table lists",
        r"k \cdot k \cdot \sum_{j} |S_{j}| + C_{\text{out}}",
        rf"{num(k)} \cdot {num(k)} \cdot ({groups}) + {num(len(table))}",
        k * k * connections + len(table),
        len(table),
    )


def network_layers(name: str, variant: str) -> list[LayerCount]:
    """The layers of a named network, each with the formula that counts it."""
    if name == "lenet5" and variant == "original":
        return [
            conv_layer("C1", 5, 1, 6),
            subsampling_layer("S2", 6),
            partial_conv_layer("C3", 5, C3_TABLE),
            subsampling_layer("S4", 16),
            conv_layer("C5", 5, 16, 120),
            linear_layer("F6", 120, 84),
            free_layer("OUTPUT", "10 Euclidean RBF units on F6's 84 outputs, centres fixed"),
        ]
    if name == "lenet5":
        return [
            conv_layer("conv1", 5, 1, 6),
            free_layer("pool1", "2×2 average pooling"),
            conv_layer("conv2", 5, 6, 16),
            free_layer("pool2", "2×2 average pooling"),
            linear_layer("fc1", 16 * 5 * 5, 120),
            linear_layer("fc2", 120, 84),
            linear_layer("fc3", 84, 10),
        ]
    fc = [
        linear_layer("fc6", 256 * 6 * 6, 4096),
        linear_layer("fc7", 4096, 4096),
        linear_layer("fc8", 4096, 1000),
    ]
    if variant == "torchvision":
        return [
            conv_layer("conv1", 11, 3, 64),
            conv_layer("conv2", 5, 64, 192),
            conv_layer("conv3", 3, 192, 384),
            conv_layer("conv4", 3, 384, 256),
            conv_layer("conv5", 3, 256, 256),
            *fc,
        ]
    g = 2 if variant == "original" else 1
    return [
        conv_layer("conv1", 11, 3, 96),
        conv_layer("conv2", 5, 96, 256, groups=g),
        conv_layer("conv3", 3, 256, 384),
        conv_layer("conv4", 3, 384, 384, groups=g),
        conv_layer("conv5", 3, 384, 256, groups=g),
        *fc,
    ]


def network_answer(layers: list[LayerCount]) -> dict[str, Any]:
    return {
        "total": sum(layer.params for layer in layers),
        "layers": [{"name": layer.name, "params": layer.params} for layer in layers],
    }


class NetworkParams(ParamModel):
    name: Literal["lenet5", "alexnet"] = "lenet5"
    variant: Literal["original", "modern", "ungrouped", "torchvision"] = "original"

    @model_validator(mode="after")
    def _variant_exists(self) -> NetworkParams:
        allowed = VARIANTS[self.name]
        if self.variant not in allowed:
            raise ProblemError(
                "variant",
                f"{self.name} comes as {' or '.join(allowed)}, not {self.variant!r}",
            )
        return self


def _lenet5_modules(variant: str, device: torch.device) -> list[tuple[str, nn.Module]]:
    """LeNet-5 as torch modules, in order; a forward pass through them checks the shapes."""
    import torch
    from torch import nn

    kw: dict[str, Any] = {"device": device, "dtype": torch.float64}
    if variant == "modern":
        return [
            ("conv1", nn.Sequential(nn.Conv2d(1, 6, 5, **kw), nn.ReLU())),
            ("pool1", nn.AvgPool2d(2)),
            ("conv2", nn.Sequential(nn.Conv2d(6, 16, 5, **kw), nn.ReLU())),
            ("pool2", nn.Sequential(nn.AvgPool2d(2), nn.Flatten())),
            ("fc1", nn.Sequential(nn.Linear(400, 120, **kw), nn.ReLU())),
            ("fc2", nn.Sequential(nn.Linear(120, 84, **kw), nn.ReLU())),
            ("fc3", nn.Linear(84, 10, **kw)),
        ]

    class PartialConv(nn.Module):
        """C3: one small convolution per output map, over only the input maps it is wired to."""

        def __init__(self, table: tuple[tuple[int, ...], ...]) -> None:
            super().__init__()
            self.table = table
            self.maps = nn.ModuleList(nn.Conv2d(len(ins), 1, 5, **kw) for ins in table)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.cat(
                [conv(x[:, list(ins)]) for ins, conv in zip(self.table, self.maps)], dim=1
            )

    class EuclideanRBF(nn.Module):
        """The output layer: y_i = Σ_j (x_j − w_ij)², with the centres w a fixed buffer."""

        centres: torch.Tensor

        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("centres", torch.ones(10, 84, **kw))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return ((x[:, None, :] - self.centres) ** 2).sum(-1)

    def subsampling(maps: int) -> nn.Module:
        # the 2×2 sum times a coefficient plus a bias, per map: average pooling followed by a
        # depthwise 1×1 convolution (one weight and one bias per map)
        return nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(maps, maps, 1, groups=maps, **kw))

    return [
        ("C1", nn.Sequential(nn.Conv2d(1, 6, 5, **kw), nn.Tanh())),
        ("S2", nn.Sequential(subsampling(6), nn.Tanh())),
        ("C3", nn.Sequential(PartialConv(C3_TABLE), nn.Tanh())),
        ("S4", nn.Sequential(subsampling(16), nn.Tanh())),
        ("C5", nn.Sequential(nn.Conv2d(16, 120, 5, **kw), nn.Tanh(), nn.Flatten())),
        ("F6", nn.Sequential(nn.Linear(120, 84, **kw), nn.Tanh())),
        ("OUTPUT", EuclideanRBF()),
    ]


def _alexnet_modules(variant: str, device: torch.device) -> list[tuple[str, nn.Module]]:
    import torch
    from torch import nn

    kw: dict[str, Any] = {"device": device, "dtype": torch.float64}

    def conv(c_in: int, c_out: int, k: int, stride: int = 1, pad: int = 0, groups: int = 1) -> Any:
        return nn.Sequential(
            nn.Conv2d(c_in, c_out, k, stride=stride, padding=pad, groups=groups, **kw), nn.ReLU()
        )

    pool = nn.MaxPool2d(3, stride=2)
    head = [
        ("fc6", nn.Sequential(nn.Flatten(), nn.Dropout(), nn.Linear(9216, 4096, **kw), nn.ReLU())),
        ("fc7", nn.Sequential(nn.Dropout(), nn.Linear(4096, 4096, **kw), nn.ReLU())),
        ("fc8", nn.Linear(4096, 1000, **kw)),
    ]
    if variant == "torchvision":
        return [
            ("conv1", nn.Sequential(conv(3, 64, 11, stride=4, pad=2), pool)),
            ("conv2", nn.Sequential(conv(64, 192, 5, pad=2), pool)),
            ("conv3", conv(192, 384, 3, pad=1)),
            ("conv4", conv(384, 256, 3, pad=1)),
            ("conv5", nn.Sequential(conv(256, 256, 3, pad=1), pool, nn.AdaptiveAvgPool2d(6))),
            *head,
        ]
    g = 2 if variant == "original" else 1
    lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
    return [
        ("conv1", nn.Sequential(conv(3, 96, 11, stride=4), lrn, pool)),
        ("conv2", nn.Sequential(conv(96, 256, 5, pad=2, groups=g), lrn, pool)),
        ("conv3", conv(256, 384, 3, pad=1)),
        ("conv4", conv(384, 384, 3, pad=1, groups=g)),
        ("conv5", nn.Sequential(conv(384, 256, 3, pad=1, groups=g), pool)),
        *head,
    ]


class NetworkCount(Problem[NetworkParams]):
    id = "params.network"
    summary = (
        "Layer-by-layer parameter count of LeNet-5 (original 1998 or modern textbook) or "
        "AlexNet (original two-GPU grouped, ungrouped, or torchvision)."
    )
    topic = "counts"
    Params = NetworkParams

    def solve(self, p: NetworkParams, trace: Trace) -> Any:
        trace.note("Architecture", ARCHITECTURE[(p.name, p.variant)])
        layers = network_layers(p.name, p.variant)
        for layer in layers:
            trace.step(layer.title, layer.formula, layer.substituted, layer.params)
        answer = network_answer(layers)
        trace.table(
            "Parameters per layer",
            [r"\text{layer}", r"P_{l}"],
            [[rf"\text{{{row['name']}}}", num(row["params"])] for row in answer["layers"]],
            answer["layers"],
        )
        trace.step(
            "Total: the sum over the layers",
            r"\sum_{l} P_{l}",
            " + ".join(num(layer.params) for layer in layers),
            answer["total"],
        )
        return answer

    def reference(self, p: NetworkParams, device: torch.device) -> Any:
        import torch

        if p.name == "lenet5":
            modules = _lenet5_modules(p.variant, device)
            x = torch.zeros(1, 1, 32, 32, dtype=torch.float64, device=device)
        else:
            # AlexNet holds 61 million weights; only shapes matter here (see shapes_device)
            meta = torch.device("meta")
            modules = _alexnet_modules(p.variant, meta)
            size = 224 if p.variant == "torchvision" else 227
            x = torch.zeros(1, 3, size, size, dtype=torch.float64, device=meta)
        # run the input through: the layers must fit together (fc6 must really see 9216 inputs)
        with torch.no_grad():
            for _, module in modules:
                x = module(x)
        if tuple(x.shape) != (1, 10 if p.name == "lenet5" else 1000):
            raise RuntimeError(f"{p.name} reference ends in shape {tuple(x.shape)}")
        layers = [{"name": name, "params": _numel(module)} for name, module in modules]
        return {"total": sum(layer["params"] for layer in layers), "layers": layers}

    def _total(self, p: NetworkParams) -> int:
        return sum(layer.params for layer in network_layers(p.name, p.variant))

    @misconception("forgot_bias", part="total")
    def _forgot_bias(self, p: NetworkParams) -> Wrong | None:
        layers = network_layers(p.name, p.variant)
        biases = sum(layer.biases for layer in layers)
        return Wrong(
            self._total(p) - biases,
            f"You left out the biases: every convolution map and every unit has one, "
            f"{biases:,} in all.",
        )

    @misconception("ignored_groups", part="total")
    def _ignored_groups(self, p: NetworkParams) -> Wrong | None:
        if (p.name, p.variant) != ("alexnet", "original"):
            return None
        wrong = sum(layer.params for layer in network_layers("alexnet", "ungrouped"))
        return Wrong(
            wrong,
            "The original conv2, conv4 and conv5 are split into 2 groups, one per GPU: each "
            "kernel reads only half of the input maps (5·5·48 for conv2, not 5·5·96).",
        )

    @misconception("full_c3", part="total")
    def _full_c3(self, p: NetworkParams) -> Wrong | None:
        if (p.name, p.variant) != ("lenet5", "original"):
            return None
        full = (5 * 5 * 6 + 1) * 16
        c3 = partial_conv_layer("C3", 5, C3_TABLE).params
        return Wrong(
            self._total(p) - c3 + full,
            f"In the original LeNet-5, C3 is not fully connected: by the paper's table its 16 "
            f"maps read 60 S2 maps in all, not 16·6 = 96, giving {c3:,} parameters, not {full:,}.",
        )

    @misconception("untrained_subsampling", part="total")
    def _untrained_subsampling(self, p: NetworkParams) -> Wrong | None:
        if (p.name, p.variant) != ("lenet5", "original"):
            return None
        return Wrong(
            self._total(p) - 2 * 6 - 2 * 16,
            "The original S2 and S4 are not parameter-free pooling: each map has a trainable "
            "coefficient and bias, 2·6 = 12 for S2 and 2·16 = 32 for S4.",
        )

    @misconception("counted_rbf_centres", part="total")
    def _counted_rbf_centres(self, p: NetworkParams) -> Wrong | None:
        if (p.name, p.variant) != ("lenet5", "original"):
            return None
        return Wrong(
            self._total(p) + 84 * 10,
            "The output layer's 84·10 = 840 RBF centres were fixed by hand (±1 bitmaps), not "
            "trained, so LeNet-5 has the paper's 60,000 trainable parameters.",
        )
