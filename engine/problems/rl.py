"""Reinforcement learning: discounted returns, value iteration on a small MDP, a Q-learning update.

Value iteration starts from Q₀ = 0 and applies the Bellman optimality backup
Q(s, a) ← R(s, a) + γ Σ_{s′} P(s′ | s, a) max_{a′} Q(s′, a′). Run to convergence, it is checked
against the exact optimum: every deterministic policy's values solved from v = (I − γP_π)⁻¹R_π,
maximised state by state. Greedy policies break ties (values within 1e-9) towards the lowest action.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import agrees_to_6_digits
from engine.errors import ProblemError
from engine.latex import count, num, paren, sub, text_num
from engine.params import Matrix, NonNegativeInt, ParamModel, Real, Tensor, Vector, shape_of
from engine.problem import Problem, Wrong, misconception
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

MAX_STATES = 50
MAX_ACTIONS = 20
# The exact reference enumerates every deterministic policy (A^S of them).
MAX_POLICIES = 4096
MAX_ITERATIONS = 100_000
# Stop when the error bound γ/(1 − γ)·max|Q_k − Q_{k−1}| ≥ ‖Q_k − Q*‖ is below this, relative.
STOP_TOLERANCE = 1e-10
# Iterations written out in the trace: the first few and the last.
TRACED_ITERATIONS = 8
# Actions whose values are this close (relative) count as tied for the greedy policy.
TIE_TOLERANCE = 1e-9
SUM_TOLERANCE = 1e-6
# Q tables with at most this many entries are traced as one table, a row per backup; larger
# ones as a matrix per backup.
TABLE_ENTRIES = 12


def _same_all(a: Any, b: Any) -> bool:
    if isinstance(a, list):
        return all(_same_all(x, y) for x, y in zip(a, b))
    return agrees_to_6_digits(float(a), float(b))


def _max_latex(values: Sequence[float]) -> str:
    """max(…) over a row, written out (a single value needs no max)."""
    if len(values) == 1:
        return paren(values[0])
    return r"\max(" + ", ".join(num(v) for v in values) + ")"


def greedy(q: Sequence[Sequence[float]]) -> list[int]:
    """argmax per row; values within TIE_TOLERANCE of the best count as ties → lowest index."""
    policy = []
    for row in q:
        best = max(row)
        limit = best - TIE_TOLERANCE * max(1.0, abs(best))
        policy.append(next(a for a, x in enumerate(row) if x >= limit))
    return policy


# --- rl.return -------------------------------------------------------------------------------


class ReturnParams(ParamModel):
    rewards: Vector = Field(description="r_0, r_1, …, r_{T−1}")
    gamma: Real = Field(description="discount factor γ in [0, 1]")

    @model_validator(mode="after")
    def _check(self) -> ReturnParams:
        if not 0 <= self.gamma <= 1:
            raise ProblemError("gamma", "the discount factor must be between 0 and 1")
        return self


def discounted(rewards: Sequence[float], gamma: float, shift: int = 0) -> float:
    return sum(gamma ** (t + shift) * r for t, r in enumerate(rewards))


class Return(Problem[ReturnParams]):
    id = "rl.return"
    summary = (
        "Discounted return G = Σ_t γ^t·r_t of a reward sequence (the first reward undiscounted)."
    )
    topic = "rl"
    Params = ReturnParams

    def solve(self, p: ReturnParams, trace: Trace) -> Any:
        rewards, gamma = p.rewards, p.gamma
        T = len(rewards)
        terms = [
            (num(r) if t == 0 else rf"{num(gamma)}^{{{t}}} \cdot {paren(r)}")
            for t, r in enumerate(rewards)
        ]
        if T > 8:
            terms = [*terms[:5], r"\cdots", terms[-1]]
        total = trace.step(
            "Discounted return (each reward discounted by γ once per step of delay)",
            rf"G_{{0}} = \sum_{{t=0}}^{{{T - 1}}} \gamma^{{t}} r_{{t}}",
            " + ".join(terms),
            discounted(rewards, gamma),
        )
        backward = [0.0] * (T + 1)
        for t in range(T - 1, -1, -1):
            backward[t] = rewards[t] + gamma * backward[t + 1]
        trace.table(
            f"The same by the backward recursion Gₜ = rₜ + γ·Gₜ₊₁, from t = {T - 1} down to 0 "
            f"(G_{{{T}}} = 0)",
            ["t", "r_{t}", "G_{t+1}", r"G_{t} = r_{t} + \gamma G_{t+1}"],
            [
                [
                    str(t),
                    num(rewards[t]),
                    num(backward[t + 1]),
                    rf"{paren(rewards[t])} + {num(gamma)} \cdot {paren(backward[t + 1])} = "
                    + num(backward[t]),
                ]
                for t in range(T - 1, -1, -1)
            ],
            backward[:T],
        )
        return total

    def reference(self, p: ReturnParams, device: torch.device) -> Any:
        import torch

        r = torch.tensor(p.rewards, dtype=torch.float64, device=device)
        t = torch.arange(len(p.rewards), dtype=torch.float64, device=device)
        gamma = torch.tensor(p.gamma, dtype=torch.float64, device=device)
        return torch.sum(torch.pow(gamma, t) * r).item()

    def _wrong(self, p: ReturnParams, wrong: float, feedback: str) -> Wrong | None:
        if agrees_to_6_digits(wrong, discounted(p.rewards, p.gamma)):
            return None
        return Wrong(wrong, feedback)

    @misconception("no_discount")
    def _no_discount(self, p: ReturnParams) -> Wrong | None:
        return self._wrong(
            p,
            sum(p.rewards),
            f"You added the rewards without discounting. Multiply r_t by γ^t = {p.gamma:g}^t "
            f"before adding: G = Σ γ^t·r_t.",
        )

    @misconception("discount_from_one")
    def _discount_from_one(self, p: ReturnParams) -> Wrong | None:
        return self._wrong(
            p,
            discounted(p.rewards, p.gamma, shift=1),
            f"You discounted the first reward too. It comes now, so its weight is γ⁰ = 1; r_t is "
            f"weighted by γ^t = {p.gamma:g}^t, starting at t = 0.",
        )

    @misconception("reversed_discount")
    def _reversed_discount(self, p: ReturnParams) -> Wrong | None:
        T = len(p.rewards)
        return self._wrong(
            p,
            sum(p.gamma ** (T - 1 - t) * r for t, r in enumerate(p.rewards)),
            "You discounted the rewards in reverse order. The earliest reward, r_0, is "
            "undiscounted and later rewards get more discount: r_t is weighted by γ^t.",
        )


# --- rl.value_iteration ----------------------------------------------------------------------


class ValueIterationParams(ParamModel):
    P: Tensor = Field(description="P[s][a][s′]: probability of s′ after action a in state s")
    R: Matrix = Field(description="R[s][a]: expected reward of action a in state s")
    gamma: Real = Field(
        description="discount factor γ in [0, 1]; γ = 1 only with a fixed number of iterations"
    )
    iterations: NonNegativeInt | None = Field(
        None,
        description="number of backups from Q₀ = 0; null: until converged "
        f"(γ/(1−γ)·max|ΔQ| < {STOP_TOLERANCE:g} relative, at most {MAX_ITERATIONS} backups)",
    )

    @model_validator(mode="after")
    def _check(self) -> ValueIterationParams:
        shape = shape_of(self.P)
        if len(shape) != 3:
            raise ProblemError(
                "P",
                "must be P[s][a][s′]: for each state a list per action of next-state "
                "probabilities, e.g. [[[1, 0]], [[0.5, 0.5]]]",
            )
        # every problem found is reported at once (the explorer marks each field)
        problems: list[tuple[str | None, str]] = []
        S, A, S2 = shape
        if S2 != S:
            problems.append(
                ("P", f"each P[s][a] must have one probability per state ({S} states), got {S2}")
            )
        elif S > MAX_STATES or A > MAX_ACTIONS:
            problems.append(
                ("P", f"at most {MAX_STATES} states and {MAX_ACTIONS} actions, got {S} and {A}")
            )
        else:
            problems += self._probabilities(S, A)
        if len(self.R) != S:
            problems.append(("R", f"expected {S} rows (one per state, as in P), got {len(self.R)}"))
        elif len(self.R[0]) != A:
            problems.append(
                ("R", f"expected {A} columns (one per action, as in P), got {len(self.R[0])}")
            )
        if not 0 <= self.gamma <= 1:
            problems.append(("gamma", f"the discount factor must be in [0, 1], got {self.gamma:g}"))
        elif self.gamma == 1 and self.iterations is None:
            problems.append(
                (
                    "gamma",
                    "γ = 1 needs a fixed number of backups (iterations=N): without discounting, "
                    "value iteration need not converge",
                )
            )
        if self.iterations is None and S2 == S and A**S > MAX_POLICIES:
            problems.append(
                (
                    "P",
                    f"too large to solve exactly: {A}^{S} deterministic policies (at most "
                    f"{MAX_POLICIES}); give iterations=N for a fixed number of backups",
                )
            )
        if self.iterations is not None and self.iterations > MAX_ITERATIONS:
            problems.append(("iterations", f"at most {MAX_ITERATIONS}, got {self.iterations}"))
        if problems:
            raise ProblemError.of_all(problems)
        return self

    def _probabilities(self, S: int, A: int) -> list[tuple[str | None, str]]:
        """The first bad probability or sum of P (one message for P is enough)."""
        for s, a in itertools.product(range(S), range(A)):
            row = self.P[s][a]
            for s2, x in enumerate(row):
                if x < 0:
                    return [("P", f"P[{s}][{a}][{s2}] is {x:g}; probabilities cannot be negative")]
            if abs(sum(row) - 1) > SUM_TOLERANCE:
                return [
                    (
                        "P",
                        f"P[{s}][{a}] sums to {sum(row):g}; the probabilities of the next states "
                        "must sum to 1",
                    )
                ]
        return []


def backup(P: np.ndarray, R: np.ndarray, gamma: float, q: np.ndarray, worst: bool) -> np.ndarray:
    """One Bellman optimality backup for every (s, a) (with min instead of max if `worst`)."""
    v = q.min(axis=1) if worst else q.max(axis=1)
    return R + gamma * (P @ v)


def value_iteration(
    p: ValueIterationParams, worst: bool = False, extra: int = 0
) -> tuple[list[np.ndarray], bool]:
    """Q₀, Q₁, …: every iterate (to convergence or the asked number plus `extra`).

    Returns the iterates and whether the run stopped by the convergence rule.
    """
    import numpy as np

    P = np.array(p.P, dtype=np.float64)
    R = np.array(p.R, dtype=np.float64)
    qs = [np.zeros_like(R)]
    if p.iterations is not None:
        for _ in range(p.iterations + extra):
            qs.append(backup(P, R, p.gamma, qs[-1], worst))
        return qs, False
    bound = p.gamma / (1 - p.gamma)
    for _ in range(MAX_ITERATIONS):
        q = backup(P, R, p.gamma, qs[-1], worst)
        change = bound * float(abs(q - qs[-1]).max())
        qs.append(q)
        if change <= STOP_TOLERANCE * max(1.0, float(abs(q).max())):
            return qs, True
    raise ProblemError(
        "gamma",
        f"value iteration needs more than {MAX_ITERATIONS} backups to converge with "
        f"gamma = {p.gamma:g}; give iterations=N or use a smaller gamma",
    )


class ValueIteration(Problem[ValueIterationParams]):
    id = "rl.value_iteration"
    summary = (
        "Value iteration on a small MDP from Q₀ = 0: Q(s,a) ← R(s,a) + γ·Σ P(s′|s,a)·max Q(s′,·); "
        "the values and the greedy policy (ties to the lowest action)."
    )
    topic = "rl"
    Params = ValueIterationParams

    def solve(self, p: ValueIterationParams, trace: Trace) -> Any:
        import numpy as np

        qs, converged = value_iteration(p)
        last = len(qs) - 1
        trace.step(
            "Start from zero",
            r"Q_{0}(s, a) = 0",
            "",
            qs[0],
        )
        shown = set(range(1, min(last, TRACED_ITERATIONS) + 1)) | {last}
        if last > TRACED_ITERATIONS + 1:
            trace.note(
                "Iterations shown",
                f"Backups 1–{TRACED_ITERATIONS} and the last ({last}) are written out; "
                f"{TRACED_ITERATIONS + 1}–{last - 1} are done the same way.",
            )
        for k in sorted(i for i in shown if i > 0):
            self._trace_iteration(p, trace, qs[k - 1], qs[k], k)
        if converged:
            change = float(np.max(np.abs(qs[-1] - qs[-2])))
            trace.note(
                "Stopping rule",
                f"Stopped after {count(last, 'backup')}: the largest change in the last one was "
                f"{text_num(change)}, and ‖Qₖ − Q∗‖ ≤ γ/(1 − γ)·max|Qₖ − Qₖ₋₁| = "
                f"{text_num(p.gamma / (1 - p.gamma) * change)}, below "
                f"{text_num(STOP_TOLERANCE)} relative to the largest |Q|. (The greedy policy is "
                "usually right long before this.)",
            )
        S, A = qs[0].shape
        rows = sorted(shown | {0})
        table = [
            {"backup": k} | {f"Q({i},{j})": float(qs[k][i, j]) for i in range(S) for j in range(A)}
            for k in rows
        ]
        if S * A <= TABLE_ENTRIES:
            left_out = last - len(shown)
            trace.table(
                "Q after each backup (one row per backup, one column per entry)"
                + (
                    f"; backups {TRACED_ITERATIONS + 1}–{last - 1} left out"
                    if left_out > 1
                    else f"; backup {TRACED_ITERATIONS + 1} left out"
                    if left_out == 1
                    else ""
                ),
                ["k"] + [f"Q_{{k}}({i}, {j})" for i in range(S) for j in range(A)],
                [
                    [str(k)] + [num(float(qs[k][i, j])) for i in range(S) for j in range(A)]
                    for k in rows
                ],
                table,
            )
        q = qs[-1]
        n = f"_{{{last}}}" if p.iterations is not None else ""
        v = trace.step(
            "State values: the best action's value in each state",
            rf"V(s) = \max_{{a}} Q{n}(s, a)",
            ", ".join(_max_latex(row) for row in q.tolist()),
            q.max(axis=1),
        )
        policy = trace.step(
            "Greedy policy (ties go to the lowest action index)",
            rf"\pi(s) = \operatorname{{argmax}}_{{a}} Q{n}(s, a)",
            "",
            greedy(q.tolist()),
        )
        return {"q": q.tolist(), "v": v.tolist(), "policy": policy}

    def _trace_iteration(
        self, p: ValueIterationParams, trace: Trace, before: np.ndarray, after: np.ndarray, k: int
    ) -> None:
        import numpy as np

        # write out the entry that moved most in this backup: it shows the most arithmetic
        s, a = (int(i) for i in np.unravel_index(np.argmax(np.abs(after - before)), after.shape))
        terms = [
            rf"{num(prob)} \cdot {_max_latex(before[s2].tolist())}"
            for s2, prob in enumerate(p.P[s][a])
            if prob != 0
        ]
        trace.step(
            f"Backup {k}: the entry Q{sub(k)}({s}, {a}) written out",
            rf"Q_{{{k}}}({s}, {a}) = R({s}, {a}) + \gamma \sum_{{s'}} P(s' | {s}, {a}) "
            rf"\max_{{a'}} Q_{{{k - 1}}}(s', a')",
            rf"{paren(p.R[s][a])} + {num(p.gamma)} \cdot \left(" + " + ".join(terms) + r"\right)",
            float(after[s, a]),
        )
        if after.size <= TABLE_ENTRIES:
            return  # the table of every backup shows the whole of Q_k
        trace.step(
            f"Backup {k}: every entry the same way (rows: states, columns: actions)",
            rf"Q_{{{k}}}(s, a) = R(s, a) + \gamma \sum_{{s'}} P(s' | s, a) \max_{{a'}} "
            rf"Q_{{{k - 1}}}(s', a')",
            "",
            after,
        )

    def reference(self, p: ValueIterationParams, device: torch.device) -> Any:
        import torch

        P = torch.tensor(p.P, dtype=torch.float64, device=device)
        R = torch.tensor(p.R, dtype=torch.float64, device=device)
        S, A = R.shape
        if p.iterations is not None:
            q = torch.zeros_like(R)
            for _ in range(p.iterations):
                q = R + p.gamma * torch.einsum("sat,t->sa", P, q.max(dim=1).values)
            v = q.max(dim=1).values
        else:
            # every deterministic policy π: v_π = (I − γ P_π)⁻¹ R_π; the optimum dominates all
            policies = torch.tensor(
                list(itertools.product(range(A), repeat=S)), dtype=torch.long, device=device
            )
            states = torch.arange(S, device=device)
            P_pi = P[states, policies]  # (policies, S, S)
            R_pi = R[states, policies]  # (policies, S)
            eye = torch.eye(S, dtype=torch.float64, device=device)
            values = torch.linalg.solve(eye - p.gamma * P_pi, R_pi.unsqueeze(-1)).squeeze(-1)
            v = values.max(dim=0).values
            q = R + p.gamma * torch.einsum("sat,t->sa", P, v)
        best = q.max(dim=1, keepdim=True).values
        tied = q >= best - TIE_TOLERANCE * best.abs().clamp(min=1.0)
        policy = tied.to(torch.int64).argmax(dim=1)  # the first True: the lowest tied action
        return {"q": q.cpu().tolist(), "v": v.cpu().tolist(), "policy": policy.cpu().tolist()}

    # --- misconceptions ---------------------------------------------------------------------
    def _right(self, p: ValueIterationParams) -> np.ndarray:
        return value_iteration(p)[0][-1]

    @misconception("used_min", part="v")
    def _used_min(self, p: ValueIterationParams) -> Wrong | None:
        if p.gamma == 0 or p.iterations == 0:
            return None
        right = self._right(p).max(axis=1).tolist()
        try:
            q = value_iteration(p, worst=True)[0][-1]
        except ProblemError:
            return None
        wrong = q.min(axis=1).tolist()
        if _same_all(wrong, right):
            return None
        return Wrong(
            wrong,
            "You took the minimum over actions. The Bellman optimality backup assumes the agent "
            "acts best from the next state on: use max_a′ Q(s′, a′), and V(s) = max_a Q(s, a).",
        )

    @misconception("extra_iteration", part="q")
    def _extra_iteration(self, p: ValueIterationParams) -> Wrong | None:
        if p.iterations is None:
            return None
        right = self._right(p).tolist()
        wrong = value_iteration(p, extra=1)[0][-1].tolist()
        if _same_all(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You did {count(p.iterations + 1, 'backup')} instead of {p.iterations}. Q₀ = 0 is the start, "
            f"not a backup (starting from Q = R already counts as the first one).",
        )

    @misconception("one_sweep_early", part="q")
    def _one_sweep_early(self, p: ValueIterationParams) -> Wrong | None:
        if not p.iterations:
            return None
        right = self._right(p).tolist()
        wrong = value_iteration(p, extra=-1)[0][-1].tolist()
        if _same_all(wrong, right):
            return None
        return Wrong(
            wrong,
            f"You stopped after {p.iterations - 1} backups instead of {p.iterations}. Starting "
            f"from Q₀ = 0, each of the {p.iterations} backups updates every Q(s, a) once.",
        )

    @misconception("greedy_on_reward", part="policy")
    def _greedy_on_reward(self, p: ValueIterationParams) -> Wrong | None:
        right = greedy(self._right(p).tolist())
        wrong = greedy(p.R)
        if wrong == right:
            return None
        return Wrong(
            wrong,
            "You chose the action with the largest immediate reward R(s, a). The greedy policy "
            "maximises Q(s, a) = R(s, a) + γ·Σ P(s′|s, a)·V(s′), which counts where the action "
            "leads as well.",
        )


# --- rl.q_learning ---------------------------------------------------------------------------


class QLearningParams(ParamModel):
    q: Matrix = Field(description="the Q table, q[s][a]")
    s: NonNegativeInt = Field(description="the state the action was taken in")
    a: NonNegativeInt = Field(description="the action taken")
    r: Real = Field(description="the reward received")
    s_next: NonNegativeInt = Field(description="the next state")
    alpha: Real = Field(description="learning rate α in (0, 1]")
    gamma: Real = Field(description="discount factor γ in [0, 1]")
    terminal: bool = Field(False, description="s_next ends the episode: no bootstrapping")

    @model_validator(mode="after")
    def _check(self) -> QLearningParams:
        S, A = len(self.q), len(self.q[0])
        for name, value in (("s", self.s), ("s_next", self.s_next)):
            if value >= S:
                raise ProblemError(
                    name, f"state {value} does not exist: q has {S} rows (states 0–{S - 1})"
                )
        if self.a >= A:
            raise ProblemError(
                "a", f"action {self.a} does not exist: q has {A} columns (actions 0–{A - 1})"
            )
        if not 0 < self.alpha <= 1:
            raise ProblemError("alpha", "the learning rate must be in (0, 1]")
        if not 0 <= self.gamma <= 1:
            raise ProblemError("gamma", "the discount factor must be between 0 and 1")
        return self


def q_update(
    p: QLearningParams, bootstrap: bool | None = None, worst: bool = False
) -> tuple[float, float, list[list[float]]]:
    """(target, TD error, updated table), optionally bootstrapping or taking min by mistake."""
    bootstrap = (not p.terminal) if bootstrap is None else bootstrap
    best = (min if worst else max)(p.q[p.s_next])
    target = p.r + p.gamma * best if bootstrap else p.r
    td = target - p.q[p.s][p.a]
    table = [list(row) for row in p.q]
    table[p.s][p.a] = p.q[p.s][p.a] + p.alpha * td
    return target, td, table


class QLearning(Problem[QLearningParams]):
    id = "rl.q_learning"
    summary = (
        "One Q-learning update: target r + γ·max_a′ Q(s′, a′) (just r at a terminal state), "
        "TD error, and Q(s, a) ← Q(s, a) + α·δ."
    )
    topic = "rl"
    Params = QLearningParams

    def solve(self, p: QLearningParams, trace: Trace) -> Any:
        s, a, s2 = p.s, p.a, p.s_next
        if p.terminal:
            target = trace.step(
                "TD target (s′ is terminal: nothing follows it, so no bootstrap term)",
                r"y = r",
                num(p.r),
                p.r,
            )
        else:
            target = trace.step(
                "TD target (reward plus the discounted value of the best next action)",
                rf"y = r + \gamma \max_{{a'}} Q({s2}, a')",
                rf"{paren(p.r)} + {num(p.gamma)} \cdot {_max_latex(p.q[s2])}",
                p.r + p.gamma * max(p.q[s2]),
            )
        old = p.q[s][a]
        td = trace.step(
            "TD error",
            rf"\delta = y - Q({s}, {a})",
            rf"{paren(target)} - {paren(old)}",
            target - old,
        )
        new = trace.step(
            "Update the visited entry",
            rf"Q({s}, {a}) \leftarrow Q({s}, {a}) + \alpha \delta",
            rf"{paren(old)} + {num(p.alpha)} \cdot {paren(td)}",
            old + p.alpha * td,
        )
        table = [list(row) for row in p.q]
        table[s][a] = new
        trace.step(
            f"The updated table (only Q({s}, {a}) changes; rows: states, columns: actions)",
            r"Q",
            "",
            table,
        )
        return {"target": target, "td_error": td, "q": table}

    def reference(self, p: QLearningParams, device: torch.device) -> Any:
        import torch

        q = torch.tensor(p.q, dtype=torch.float64, device=device)
        bootstrap = 0.0 if p.terminal else 1.0
        target = p.r + p.gamma * bootstrap * q[p.s_next].max()
        td = target - q[p.s, p.a]
        updated = q.clone()
        updated[p.s, p.a] += p.alpha * td
        return {"target": target.item(), "td_error": td.item(), "q": updated.cpu().tolist()}

    # --- misconceptions ---------------------------------------------------------------------
    def _differs(self, p: QLearningParams, part: str, wrong: Any) -> bool:
        target, td, table = q_update(p)
        right = {"target": target, "td_error": td, "q": table}[part]
        return not _same_all(wrong, right)

    def _part(
        self, p: QLearningParams, part: str, made: tuple[float, float, list[list[float]]], why: str
    ) -> Wrong | None:
        wrong = {"target": made[0], "td_error": made[1], "q": made[2]}[part]
        return Wrong(wrong, why) if self._differs(p, part, wrong) else None

    def _gave_target(self, p: QLearningParams) -> tuple[float, float, list[list[float]]]:
        target, td, _ = q_update(p)
        table = [list(row) for row in p.q]
        table[p.s][p.a] = target
        return target, td, table

    @misconception("gave_target", part="q")
    def _gave_target_q(self, p: QLearningParams) -> Wrong | None:
        target, _, table = q_update(p)
        return self._part(
            p,
            "q",
            self._gave_target(p),
            f"You wrote the TD target y = {target:.6g} into Q({p.s}, {p.a}). The target is where "
            f"the entry moves towards, by a step of α = {p.alpha:g}: Q ← Q + α·(y − Q) = "
            f"{table[p.s][p.a]:.6g}.",
        )

    def _ignored_terminal_feedback(self, p: QLearningParams) -> str:
        return (
            f"State {p.s_next} is terminal, so nothing follows it: the target is just the reward, "
            f"y = r = {p.r:g}, without γ·max Q({p.s_next}, ·)."
        )

    @misconception("ignored_terminal", part="target")
    def _ignored_terminal_target(self, p: QLearningParams) -> Wrong | None:
        if not p.terminal:
            return None
        made = q_update(p, bootstrap=True)
        return self._part(p, "target", made, self._ignored_terminal_feedback(p))

    @misconception("ignored_terminal", part="td_error")
    def _ignored_terminal_td(self, p: QLearningParams) -> Wrong | None:
        if not p.terminal:
            return None
        made = q_update(p, bootstrap=True)
        return self._part(p, "td_error", made, self._ignored_terminal_feedback(p))

    @misconception("ignored_terminal", part="q")
    def _ignored_terminal_q(self, p: QLearningParams) -> Wrong | None:
        if not p.terminal:
            return None
        made = q_update(p, bootstrap=True)
        return self._part(p, "q", made, self._ignored_terminal_feedback(p))

    def _used_min_feedback(self, p: QLearningParams) -> str:
        return (
            f"You bootstrapped from the worst next action, min Q({p.s_next}, ·) = "
            f"{min(p.q[p.s_next]):g}. Q-learning assumes the best action is taken next: "
            f"use max Q({p.s_next}, ·) = {max(p.q[p.s_next]):g}."
        )

    @misconception("used_min", part="target")
    def _used_min_target(self, p: QLearningParams) -> Wrong | None:
        if p.terminal:
            return None
        return self._part(p, "target", q_update(p, worst=True), self._used_min_feedback(p))

    @misconception("used_min", part="td_error")
    def _used_min_td(self, p: QLearningParams) -> Wrong | None:
        if p.terminal:
            return None
        return self._part(p, "td_error", q_update(p, worst=True), self._used_min_feedback(p))

    @misconception("used_min", part="q")
    def _used_min_q(self, p: QLearningParams) -> Wrong | None:
        if p.terminal:
            return None
        return self._part(p, "q", q_update(p, worst=True), self._used_min_feedback(p))

    @misconception("td_sign", part="td_error")
    def _td_sign(self, p: QLearningParams) -> Wrong | None:
        target, td, _ = q_update(p)
        return self._part(
            p,
            "td_error",
            (target, -td, []),
            f"You subtracted the wrong way round: the TD error is target minus estimate, "
            f"δ = y − Q({p.s}, {p.a}) = {target:.6g} − {p.q[p.s][p.a]:g}.",
        )
