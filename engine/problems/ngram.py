"""Bigram language models: `ngram.bigram`, the probability and perplexity of a sentence.

Every sentence is split on whitespace and wrapped in `<s>` … `</s>`. Probabilities are maximum
likelihood, P(w | w′) = C(w′ w) / C(w′), or add-one (Laplace) smoothed,
(C(w′ w) + 1) / (C(w′) + V), where V counts the corpus's word types with `</s>` but not `<s>`.
Perplexity is P(sentence)^(−1/N) with N the number of predicted tokens, `</s>` included.

Without smoothing an unseen bigram has probability 0 and the perplexity is infinite; JSON has no
infinity, so the answer gives `"perplexity": null`. A context word never seen in the corpus
(C(w′) = 0) gives probability 0 without smoothing and 1/V with add-one.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Field

from engine.compare import differs
from engine.latex import count, num
from engine.params import ParamModel
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import torch

START, END = "<s>", "</s>"


def _words(text: str, where: str) -> list[str]:
    """The words of one sentence, without boundary markers the writer may have added."""
    words = text.split()
    if words and words[0] == START:
        words = words[1:]
    if words and words[-1] == END:
        words = words[:-1]
    if not words:
        raise ValueError(f"{where} has no words")
    if START in words or END in words:
        raise ValueError(
            f"{where}: <s> and </s> may only stand at the ends (they are added anyway)"
        )
    return words


def _sentence(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError('must be a sentence in quotes, e.g. "I am Sam"')
    return " ".join(_words(v, "the sentence"))


def _corpus(v: Any) -> list[str]:
    if not isinstance(v, list | tuple) or not v or not all(isinstance(s, str) for s in v):
        raise ValueError('must be a list of sentences, e.g. ["I am Sam", "Sam I am"]')
    return [" ".join(_words(s, f"sentence {i + 1}")) for i, s in enumerate(v)]


Sentence = Annotated[str, BeforeValidator(_sentence)]
Corpus = Annotated[list[str], BeforeValidator(_corpus)]


class BigramParams(ParamModel):
    corpus: Corpus = Field(description="training sentences (words split on spaces)")
    sentence: Sentence = Field(description="the sentence to score")
    smoothing: Literal["none", "add_one"] = Field(
        "none", description="none: C(w′w)/C(w′); add_one: (C(w′w) + 1)/(C(w′) + V)"
    )


def tokens(sentence: str) -> list[str]:
    return [START, *sentence.split(), END]


@dataclass(frozen=True)
class Scored:
    pairs: list[tuple[str, str]]  # the sentence's bigrams, in order
    counts: list[tuple[int, int]]  # (C(w′ w), C(w′)) per bigram
    vocabulary: int  # V
    probs: list[float]
    probability: float
    perplexity: float | None  # None when infinite
    n: int  # predicted tokens the perplexity divides by


def score(
    p: BigramParams,
    *,
    extra_types: int = 0,
    end_token: bool = True,
    end_in_n: bool = True,
    v_in_denominator: bool = True,
    invert: bool = True,
) -> Scored | None:
    """The sentence's bigram probabilities; the flags give the misconceptions' rules.

    Returns None when a rule cannot be applied (it would divide by zero).
    """
    corpus = [tokens(s) for s in p.corpus]
    contexts = Counter(w for sent in corpus for w in sent[:-1])  # </s> starts no bigram
    bigrams = Counter(pair for sent in corpus for pair in zip(sent, sent[1:]))
    vocabulary = len({w for sent in corpus for w in sent} - {START}) + extra_types
    sent = tokens(p.sentence)
    pairs = list(zip(sent, sent[1:]))
    if not end_token:
        pairs = pairs[:-1]
    counts, probs = [], []
    for pair in pairs:
        pair_count, context = bigrams[pair], contexts[pair[0]]
        if p.smoothing == "add_one":
            denominator = context + (vocabulary if v_in_denominator else 0)
            if denominator == 0:
                return None
            prob = (pair_count + 1) / denominator
        else:
            prob = pair_count / context if context else 0.0
        counts.append((pair_count, context))
        probs.append(prob)
    probability = math.prod(probs)
    n = len(pairs) if end_in_n and end_token else len(p.sentence.split())
    if probability == 0:
        perplexity = None
    else:
        # through logarithms, so a long sentence's tiny probability cannot underflow
        mean_log = sum(math.log(q) for q in probs) / n
        perplexity = math.exp(-mean_log if invert else mean_log)
    return Scored(pairs, counts, vocabulary, probs, probability, perplexity, n)


def answer(s: Scored) -> dict[str, Any]:
    return {
        "probability": s.probability,
        "perplexity": s.perplexity,
        "bigrams": {f"{a} {b}": q for (a, b), q in zip(s.pairs, s.probs)},
    }


class Bigram(Problem[BigramParams]):
    id = "ngram.bigram"
    summary = (
        "Bigram model: P(sentence) and perplexity P to the power −1/N (N counts </s>), MLE or add-one "
        "with V = word types incl. </s>, excl. <s>; infinite perplexity is null."
    )
    topic = "nlp"
    Params = BigramParams

    def solve(self, p: BigramParams, trace: Trace) -> Any:
        s = score(p)
        assert s is not None  # the right rule always applies
        trace.note(
            "Sentences with boundary markers",
            "; ".join(" ".join(tokens(x)) for x in p.corpus)
            + f". The sentence to score: {' '.join(tokens(p.sentence))}.",
        )
        add_one = p.smoothing == "add_one"
        if add_one:
            types = sorted({w for x in p.corpus for w in x.split()}) + [END]
            trace.step(
                "Vocabulary size",
                r"V = \text{number of word types, with </s> but without <s>}",
                r"\text{" + str(len(types) - 1) + " words + </s>}",
                s.vocabulary,
            )
            known = {w for x in p.corpus for w in x.split()}
            unseen = sorted({w for w in p.sentence.split() if w not in known})
            if unseen:
                trace.note(
                    "Words the corpus never saw",
                    f"{', '.join(unseen)}: V counts the corpus's word types only; an unseen "
                    "bigram still gets (0 + 1)/(C(w′) + V).",
                )
            formula = r"\frac{C(w_{%d} w_{%d}) + 1}{C(w_{%d}) + V}"
        else:
            formula = r"\frac{C(w_{%d} w_{%d})}{C(w_{%d})}"
        seen: set[tuple[str, str]] = set()
        for i, ((prev, word), (pair_count, context), prob) in enumerate(
            zip(s.pairs, s.counts, s.probs), start=1
        ):
            again = " (again)" if (prev, word) in seen else ""
            seen.add((prev, word))
            lhs = rf"P(w_{{{i}}} | w_{{{i - 1}}}) = " + formula % (i - 1, i, i - 1)
            if add_one:
                numbers = rf"\frac{{{pair_count} + 1}}{{{context} + {s.vocabulary}}}"
            elif context == 0:
                numbers = r"\frac{0}{0} \to 0 \text{ (the context word never occurs)}"
            else:
                numbers = rf"\frac{{{pair_count}}}{{{context}}}"
            trace.step(f"P({word} | {prev}){again}", lhs, numbers, prob)
        trace.step(
            "Sentence probability",
            r"P = \prod_{i=1}^{N} P(w_{i} | w_{i-1})",
            r" \cdot ".join(num(q) for q in s.probs),
            s.probability,
        )
        words = len(p.sentence.split())
        if s.perplexity is None:
            trace.step(
                "Perplexity (infinite: written null)",
                r"PP = P^{-1/N}",
                rf"0^{{-1/{s.n}}} = \infty",
                None,
            )
        else:
            trace.step(
                f"Perplexity (N = {s.n}: {count(words, 'word')} and </s>)",
                r"PP = P^{-1/N}",
                rf"\left( {num(s.probability)} \right)^{{-1/{s.n}}}",
                s.perplexity,
            )
        return answer(s)

    def reference(self, p: BigramParams, device: torch.device) -> Any:
        import torch

        corpus = [tokens(x) for x in p.corpus]
        sent = tokens(p.sentence)
        vocab = sorted({w for x in [*corpus, sent] for w in x})
        index = {w: k for k, w in enumerate(vocab)}
        K = len(vocab)
        prev = torch.tensor([index[w] for x in corpus for w in x[:-1]], device=device)
        nxt = torch.tensor([index[w] for x in corpus for w in x[1:]], device=device)
        # a K×K table of bigram counts: row = context word, column = next word
        counts = torch.bincount(prev * K + nxt, minlength=K * K).reshape(K, K).double()
        context = counts.sum(dim=1, keepdim=True)
        # every corpus word and </s> is predicted at least once; <s> never is
        V = (counts.sum(dim=0) > 0).sum().double()
        if p.smoothing == "add_one":
            table = (counts + 1) / (context + V)
        else:
            table = torch.where(context > 0, counts / context.clamp(min=1), 0.0)
        rows = torch.tensor([index[w] for w in sent[:-1]], device=device)
        cols = torch.tensor([index[w] for w in sent[1:]], device=device)
        probs = table[rows, cols]
        probability = torch.prod(probs).item()
        perplexity = None if probability == 0 else torch.exp(-torch.log(probs).mean()).item()
        bigrams = {f"{a} {b}": q for a, b, q in zip(sent, sent[1:], probs.cpu().tolist())}
        return {"probability": probability, "perplexity": perplexity, "bigrams": bigrams}

    def _wrong(self, p: BigramParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = score(p, **rule)
        right = score(p)
        if wrong is None or right is None or not differs(answer(wrong), answer(right)):
            return None
        return Wrong(answer(wrong), feedback)

    @misconception("v_included_start")
    def _v_included_start(self, p: BigramParams) -> Wrong | None:
        if p.smoothing != "add_one":
            return None
        V = score(p).vocabulary  # type: ignore[union-attr]
        return self._wrong(
            p,
            f"You counted <s> in the vocabulary (V = {V + 1}). <s> is never predicted, so it is "
            f"not a word type here: V = {V}, counting </s>.",
            extra_types=1,
        )

    @misconception("no_end_token")
    def _no_end_token(self, p: BigramParams) -> Wrong | None:
        last = p.sentence.split()[-1]
        return self._wrong(
            p,
            f"You stopped at the last word. The model also predicts the end of the sentence: "
            f"multiply by P(</s> | {last}) and count </s> in N for the perplexity.",
            end_token=False,
        )

    @misconception("perplexity_without_end")
    def _perplexity_without_end(self, p: BigramParams) -> Wrong | None:
        words = len(p.sentence.split())
        return self._wrong(
            p,
            f"You divided by the {count(words, 'word')} only. </s> is predicted too, so the perplexity "
            f"is P to the power −1/N, with N = {words + 1}.",
            end_in_n=False,
        )

    @misconception("forgot_v_in_denominator")
    def _forgot_v_in_denominator(self, p: BigramParams) -> Wrong | None:
        if p.smoothing != "add_one":
            return None
        V = score(p).vocabulary  # type: ignore[union-attr]
        return self._wrong(
            p,
            f"You added 1 to the bigram count but not V = {V} to the context count. Add-one "
            "smoothing adds 1 for every possible next word: (C(w′w) + 1)/(C(w′) + V).",
            v_in_denominator=False,
        )

    @misconception("perplexity_not_inverted")
    def _perplexity_not_inverted(self, p: BigramParams) -> Wrong | None:
        return self._wrong(
            p,
            "You took P^(1/N), the geometric mean of the probabilities. Perplexity is its "
            "inverse, P to the power −1/N, a number ≥ 1.",
            invert=False,
        )
