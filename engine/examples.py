"""One valid example call per problem id of the contract (problems.md), as data.

Tests run every registered problem through answer checking with these, and the latency bench
(bench/check_latency.py) grades right, wrong and unreadable answers to each. The numbers are
chosen so that the misconceptions the contract lists give answers different from the right one
(a padding, a stride and a dilation for conv sizes; a bias on the GRU's recurrent side...).
"""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {
    # convolutional networks
    "conv2d.output_size": {"size": 32, "kernel": 5, "stride": 2, "padding": 2, "dilation": 2},
    "pool2d.output_size": {"size": 33, "kernel": 3, "stride": 2, "padding": 1, "ceil_mode": True},
    "convtranspose2d.output_size": {
        "size": 16,
        "kernel": 4,
        "stride": 2,
        "padding": 1,
        "output_padding": 1,
    },
    "conv2d.params": {"in_channels": 4, "out_channels": 8, "kernel": 3, "groups": 2},
    "conv2d.macs": {
        "in_channels": 4,
        "out_channels": 8,
        "kernel": 3,
        "size": 16,
        "padding": 1,
        "groups": 2,
    },
    "conv2d.forward": {
        "x": [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 2, 0]],
        "w": [[1, 0], [2, -1]],
        "bias": 0.5,
    },
    "conv2d.backward": {
        "x": [[1, 2, 0, 1], [0, 1, 3, 2], [2, 0, 1, 1], [1, 3, 2, 0]],
        "w": [[1, 0], [2, -1]],
        "stride": 2,
        "upstream": [[1, -1], [0.5, 2]],
    },
    "convtranspose2d.forward": {
        "x": [[1, 2], [3, -1]],
        "w": [[1, 0, 2], [0, 1, -1], [1, 1, 0]],
        "bias": 0.5,
        "stride": 2,
        "padding": 1,
    },
    "pool2d.forward": {
        "x": [[1, 3, 2, 4, 1], [5, 6, 1, 2, 0], [7, 2, 3, 0, 2], [1, 2, 4, 8, 3], [0, 1, 2, 3, 4]],
        "kind": "max",
        "kernel": 2,
        "ceil_mode": True,
    },
    "receptive_field": {
        "layers": [{"kernel": 3}, {"kernel": 2, "stride": 2}, {"kernel": 3, "dilation": 2}]
    },
    # parameter counts
    "params.linear": {"in_features": 784, "out_features": 10},
    "params.embedding": {"num_embeddings": 10000, "embedding_dim": 300},
    "params.batchnorm": {"num_features": 64},
    "params.rnn": {"cell": "lstm", "input_size": 10, "hidden_size": 20, "num_layers": 2},
    "params.network": {"name": "lenet5"},
    # whole networks: "same" padding, ceil-mode pooling, BN and biases all change some count
    "network.summary": {
        "input": [3, 32, 32],
        "layers": "conv(8,5,p=same) bn relu pool(3,s=2,ceil=true) conv(16,3) relu flatten "
        "linear(10)",
    },
    # fully connected networks, activations, normalisation, losses
    "activation": {"name": "leaky_relu", "x": [-2.0, 1.5], "slope": 0.1},
    "activation.maxout": {"x": [1.0, 2.0], "w": [[1, 0], [0, 1], [1, -1]], "b": [0.5, -0.5, 1]},
    "mlp.backprop": {
        "x": [1.0, 0.5],
        "y": [1.0],
        "w1": [[0.1, 0.2], [0.3, -0.1]],
        "b1": [0.0, 0.1],
        "w2": [[0.5, -0.5]],
        "b2": [0.1],
    },
    "batchnorm.forward": {"x": [1.0, 2.0, 3.0, 6.0], "gamma": 2.0, "beta": 0.5},
    # the classic 2-2-2 sigmoid network, one step of gradient descent
    "mlp.network": {
        "x": [0.05, 0.10],
        "y": [0.01, 0.99],
        "weights": [[[0.15, 0.20], [0.25, 0.30]], [[0.40, 0.45], [0.50, 0.55]]],
        "biases": [0.35, 0.60],
        "activations": ["sigmoid", "sigmoid"],
        "lr": 0.5,
    },
    "batchnorm.backward": {
        "x": [1.0, 2.0, 3.0, 6.0],
        "gamma": 2.0,
        "upstream": [0.5, -1.0, 0.2, 0.4],
    },
    "loss": {"name": "bce", "prediction": [0.9, 0.2, 0.6], "target": [1, 0, 1]},
    "softmax.cross_entropy": {"logits": [2.0, 1.0, 0.1], "target": 0},
    "regularization": {"w": [0.5, -1.0, 2.0], "kind": "l2", "lam": 0.01, "data_loss": 0.3},
    "dropout.inverted": {"x": [1.0, 2.0, 3.0, 4.0], "mask": [1, 0, 1, 1], "p": 0.25},
    "gd.updates": {"n_samples": 1000, "batch_size": 64, "epochs": 3},
    # sequence models
    "rnn.forward": {
        "U": [[0.5], [-0.3]],
        "W": [[0.1, 0.2], [0.0, 0.1]],
        "V": [[1.0, -1.0]],
        "xs": [[1.0], [0.5]],
    },
    "rnn.bptt": {
        "U": [[0.5], [-0.3]],
        "W": [[0.1, 0.2], [0.0, 0.1]],
        "V": [[1.0, -1.0]],
        "xs": [[1.0], [0.5]],
        "ys": [[0.5], [0.2]],
    },
    "lstm.step": {
        "x": [1.0],
        "h": [0.5],
        "c": [0.2],
        "weight_ih": [[0.5], [0.4], [0.3], [0.2]],
        "weight_hh": [[0.1], [-0.1], [0.2], [0.3]],
    },
    "gru.step": {
        "x": [1.0],
        "h": [-0.8],
        "weight_ih": [[0.5], [0.4], [0.3]],
        "weight_hh": [[0.1], [0.2], [0.3]],
        "bias_hh": [0.1, 0.1, 0.2],
    },
    # self-attention: two heads and an output projection, causally masked
    "attention.self": {
        "x": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        "w_q": [[1.0, 0.0], [0.0, 1.0]],
        "w_k": [[0.0, 1.0], [1.0, 0.0]],
        "w_v": [[1.0, 2.0], [3.0, 4.0]],
        "heads": 2,
        "w_o": [[1.0, 0.0], [0.5, 1.0]],
        "causal": True,
    },
    "attention.additive": {
        "query": [0.5, -1.0],
        "keys": [[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]],
        "w": [[0.3, 0.1], [-0.2, 0.4]],
        "u": [[0.1, 0.2], [0.5, -0.1]],
        "v": [1.0, -0.5],
    },
    "attention": {
        "q": [[1.0, 0.0], [0.0, 1.0]],
        "k": [[1.0, 0.0], [0.0, 1.0]],
        "v": [[1.0, 2.0], [3.0, 4.0]],
        "causal": True,
    },
    "ngram.bigram": {
        "corpus": ["the cat sat", "the dog sat", "a cat ran"],
        "sentence": "the cat ran",
        "smoothing": "add_one",
    },
    # optimisation and deep-network gradients
    "optim.step": {
        "name": "adam",
        "params": [1.0, -2.0],
        "grads": [[0.5, -1.0], [0.2, 0.1]],
        "lr": 0.1,
    },
    "residual.gradient": {"x0": 0.5, "weights": [0.8, -0.5, 1.2]},
    "vanishing.chain": {"depth": 5, "activation": "sigmoid", "w": 1.5, "x": 0.2},
    "hessian.critical_point": {"f": "x^3 + x^2 + 3x y + y^2", "point": [0.0, 0.0]},
    "derivative": {"f": "x^2 sin(3x)", "at": 0.5},
    # graphs, generative models, reinforcement learning
    "gcn.layer": {
        "adjacency": [[0, 1, 0], [1, 0, 1], [0, 1, 0]],
        "features": [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
        "weight": [[1.0, -1.0], [0.5, 1.0]],
    },
    "gan.value": {"d_real": [0.9, 0.8], "d_fake": [0.2, 0.3]},
    "gan.step": {
        "real": [1.0, 2.0],
        "z": [0.5, -0.5],
        "d_w": 0.5,
        "d_b": 0.0,
        "g_a": 1.0,
        "g_c": 0.0,
    },
    "gan.optimal_discriminator": {"p_data": [0.5, 0.3, 0.2], "p_g": [0.2, 0.3, 0.5]},
    "vae.kl": {"mu": [0.5, -0.5], "sigma": [1.0, 0.5]},
    "rbm.energy": {
        "v": [1, 0],
        "h": [1, 1],
        "W": [[0.5, -0.2], [0.1, 0.3]],
        "a": [0.1, 0.2],
        "b": [-0.1, 0.1],
    },
    "rbm.cd1": {
        "v0": [1, 0],
        "W": [[0.5, -0.5], [1.0, 0.0]],
        "a": [0.0, 0.5],
        "b": [0.5, 0.0],
        "h0": [1, 0],
        "lr": 0.1,
    },
    "rbm.conditional": {
        "W": [[0.5, -0.2], [0.1, 0.3]],
        "a": [0.1, 0.2],
        "b": [-0.1, 0.1],
        "v": [1, 0],
    },
    "pca": {"X": [[2.0, 0.0], [0.0, 1.0], [1.0, 1.0], [3.0, 2.0]], "k": 1},
    "rl.return": {"rewards": [1.0, 0.0, 2.0], "gamma": 0.9},
    # policy evaluation of a stochastic policy, solved exactly (in fractions)
    "rl.policy_evaluation": {
        "P": [[[1, 0], [0, 1]], [[0, 1], [1, 0]]],
        "R": [[0, 1], [2, 0]],
        "policy": [[0.5, 0.5], [0.5, 0.5]],
        "gamma": 0.5,
    },
    "rl.value_iteration": {
        "P": [[[1.0, 0.0], [0.0, 1.0]], [[0.0, 1.0], [1.0, 0.0]]],
        "R": [[0.0, 1.0], [2.0, 0.0]],
        "gamma": 0.9,
        "iterations": 3,
    },
    "rl.q_learning": {
        "q": [[0.0, 0.5], [1.0, 2.0]],
        "s": 0,
        "a": 1,
        "r": 1.0,
        "s_next": 1,
        "alpha": 0.5,
        "gamma": 0.9,
    },
}


def example(problem_id: str) -> dict[str, Any]:
    """A fresh copy of the example call for `problem_id` (KeyError if the contract lacks it)."""
    import copy

    return copy.deepcopy(EXAMPLES[problem_id])
