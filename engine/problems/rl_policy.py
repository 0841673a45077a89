"""Policy evaluation: the values of a given stochastic policy on a small MDP.

Owns `rl.policy_evaluation`. For a policy π(a | s) the Bellman expectation equation is
V(s) = Σ_a π(a|s) [R(s, a) + γ Σ_{s′} P(s′|s, a) V(s′)], i.e. V = R_π + γ P_π V with
R_π(s) = Σ_a π(a|s) R(s, a) and P_π(s, s′) = Σ_a π(a|s) P(s′|s, a). Exactly (`iterations` null)
it is the linear system (I − γ P_π) V = R_π, solved in fractions (SymPy Rationals) when every
input is a simple fraction, so the trace can show 10/3 rather than 3.3333; with `iterations` = k
it is k synchronous sweeps from V₀ = 0, every state backed up from the previous sweep's values.
Either way q(s, a) = R(s, a) + γ Σ_{s′} P(s′|s, a) V(s′) from the returned V.
"""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING, Any

from pydantic import Field, model_validator

from engine.compare import distinct
from engine.errors import ProblemError
from engine.latex import matrix, num, paren
from engine.params import Matrix, NonNegativeInt, ParamModel, Real, Tensor
from engine.problem import Problem, Wrong, misconception
from engine.problems.rl import MAX_ITERATIONS, SUM_TOLERANCE, ValueIterationParams
from engine.trace import Trace

if TYPE_CHECKING:
    import numpy as np
    import torch

# A number is a "simple" fraction when its denominator is at most this (0.25, 0.9, 1/3 typed
# as 0.3333333333333333); then the exact solution is written in fractions.
SIMPLE_DENOMINATOR = 1000
# Sweeps written out in the trace's table: the first few and the last.
TRACED_SWEEPS = 8


class PolicyEvaluationParams(ParamModel):
    P: Tensor = Field(description="P[s][a][s′]: probability of s′ after action a in state s")
    R: Matrix = Field(description="R[s][a]: expected reward of action a in state s")
    policy: Matrix = Field(description="policy[s][a] = π(a | s), each row sums to 1")
    gamma: Real = Field(description="discount factor γ in [0, 1)")
    iterations: NonNegativeInt | None = Field(
        None,
        description="null: the exact solution of V = R_π + γ P_π V; k: k sweeps from V₀ = 0",
    )

    @model_validator(mode="after")
    def _check(self) -> PolicyEvaluationParams:
        # the MDP itself is checked exactly as value iteration checks it (iterations=1 skips
        # value iteration's own limit on the number of deterministic policies)
        ValueIterationParams.model_validate(
            {"P": self.P, "R": self.R, "gamma": self.gamma, "iterations": 1}
        )
        S, A = len(self.R), len(self.R[0])
        if len(self.policy) != S or len(self.policy[0]) != A:
            raise ProblemError(
                "policy",
                f"expected {S}×{A} (a row per state, a probability per action, as R), got "
                f"{len(self.policy)}×{len(self.policy[0])}",
            )
        for s, row in enumerate(self.policy):
            if any(x < 0 for x in row) or abs(sum(row) - 1) > SUM_TOLERANCE:
                raise ProblemError(
                    "policy",
                    f"policy[{s}] must be probabilities of the actions summing to 1, got "
                    f"{[float(x) for x in row]}",
                )
        if self.iterations is not None and self.iterations > MAX_ITERATIONS:
            raise ProblemError("iterations", f"at most {MAX_ITERATIONS}, got {self.iterations}")
        return self


def _simple(x: float) -> Fraction | None:
    f = Fraction(x).limit_denominator(SIMPLE_DENOMINATOR)
    return f if abs(float(f) - x) <= 1e-12 * max(1.0, abs(x)) else None


def exact_inputs(p: PolicyEvaluationParams) -> bool:
    numbers = [x for plane in p.P for row in plane for x in row]
    numbers += [x for row in p.R for x in row] + [x for row in p.policy for x in row]
    return all(_simple(float(x)) is not None for x in [*numbers, p.gamma])


def frac(x: Any) -> str:
    """A SymPy Rational (or a number) as LaTeX: 3, -1/2 as \\frac, no decimals."""
    import sympy

    r = sympy.Rational(x) if not isinstance(x, sympy.Basic) else x
    if r.q == 1:
        return str(r.p) if r.p >= 0 else f"-{-r.p}"
    sign = "-" if r.p < 0 else ""
    return rf"{sign}\frac{{{abs(r.p)}}}{{{r.q}}}"


def fmatrix(rows: Any) -> str:
    body = r" \\ ".join(" & ".join(frac(v) for v in row) for row in rows)
    return r"\begin{bmatrix} " + body + r" \end{bmatrix}"


def averaged(p: PolicyEvaluationParams) -> tuple[np.ndarray, np.ndarray]:
    """R_π (S) and P_π (S×S): the reward and the transitions averaged over the policy."""
    import numpy as np

    P = np.array(p.P, dtype=np.float64)
    R = np.array(p.R, dtype=np.float64)
    pi = np.array(p.policy, dtype=np.float64)
    return (pi * R).sum(axis=1), np.einsum("sa,sat->st", pi, P)


def sweeps(p: PolicyEvaluationParams, count: int, *, best_action: bool = False) -> list[np.ndarray]:
    """V₀ = 0, V₁, …, V_count by synchronous sweeps (max over actions instead of π if asked)."""
    import numpy as np

    P = np.array(p.P, dtype=np.float64)
    R = np.array(p.R, dtype=np.float64)
    pi = np.array(p.policy, dtype=np.float64)
    vs = [np.zeros(len(p.R))]
    for _ in range(count):
        q = R + p.gamma * (P @ vs[-1])
        vs.append(q.max(axis=1) if best_action else (pi * q).sum(axis=1))
    return vs


def exact_values(p: PolicyEvaluationParams) -> np.ndarray:
    import numpy as np

    r_pi, p_pi = averaged(p)
    return np.asarray(np.linalg.solve(np.eye(len(r_pi)) - p.gamma * p_pi, r_pi))


def _optimal_values(p: PolicyEvaluationParams) -> np.ndarray:
    """The best policy's values (what value iteration converges to), for the misconception."""
    import numpy as np

    P = np.array(p.P, dtype=np.float64)
    R = np.array(p.R, dtype=np.float64)
    v = np.zeros(len(p.R))
    for _ in range(MAX_ITERATIONS):
        new = (R + p.gamma * (P @ v)).max(axis=1)
        if float(np.abs(new - v).max()) <= 1e-13 * max(1.0, float(np.abs(new).max())):
            return np.asarray(new)
        v = new
    return np.asarray(v)


def q_values(p: PolicyEvaluationParams, v: np.ndarray) -> np.ndarray:
    import numpy as np

    P = np.array(p.P, dtype=np.float64)
    return np.array(p.R, dtype=np.float64) + p.gamma * (P @ v)


def evaluate(p: PolicyEvaluationParams, *, extra: int = 0, best_action: bool = False) -> Any:
    """The answer {v, q}; `extra` sweeps more (or fewer), `best_action` is value iteration's max."""
    if p.iterations is None and best_action:
        v = _optimal_values(p)
    elif p.iterations is None:
        v = exact_values(p)
    else:
        v = sweeps(p, p.iterations + extra, best_action=best_action)[-1]
    return {"v": v.tolist(), "q": q_values(p, v).tolist()}


class PolicyEvaluation(Problem[PolicyEvaluationParams]):
    id = "rl.policy_evaluation"
    summary = (
        "Policy evaluation for a stochastic policy π(a|s): V = R_π + γ·P_π·V solved exactly "
        "(in fractions when the inputs are simple), or k synchronous sweeps from V₀ = 0 "
        "(iterations=k); q(s,a) = R(s,a) + γ·Σ P(s′|s,a)·V(s′)."
    )
    topic = "rl"
    Params = PolicyEvaluationParams

    def solve(self, p: PolicyEvaluationParams, trace: Trace) -> Any:
        trace.note(
            "The Bellman expectation equation",
            "The policy is fixed, so each state's value averages over the actions the policy "
            "takes, with the probabilities π(a|s), instead of taking the best action as value "
            "iteration does.",
        )
        if p.iterations is None:
            v = self._trace_exact(p, trace)
        else:
            v = self._trace_sweeps(p, trace)
        q = q_values(p, v)
        S, A = q.shape
        trace.table(
            "Action values from V",
            ["s", "a", r"R(s, a) + \gamma \sum_{s'} P(s' | s, a) V(s')", "q(s, a)"],
            [
                [
                    str(s),
                    str(a),
                    rf"{paren(p.R[s][a])} + {num(p.gamma)} \cdot " + _dot(p.P[s][a], v.tolist()),
                    num(float(q[s, a])),
                ]
                for s in range(S)
                for a in range(A)
            ],
            q,
            formula=r"q(s, a) = R(s, a) + \gamma \sum_{s'} P(s' | s, a) V(s')",
        )
        return {"v": v.tolist(), "q": q.tolist()}

    def _averages(self, p: PolicyEvaluationParams, trace: Trace) -> tuple[Any, Any]:
        r_pi, p_pi = averaged(p)
        S, A = len(p.R), len(p.R[0])
        trace.step(
            "Expected reward under the policy",
            r"R_{\pi}(s) = \sum_{a} \pi(a | s) R(s, a)",
            r"\begin{bmatrix} "
            + r" \\ ".join(
                " + ".join(rf"{num(p.policy[s][a])} \cdot {paren(p.R[s][a])}" for a in range(A))
                for s in range(S)
            )
            + r" \end{bmatrix}",
            r_pi,
        )
        trace.step(
            "Transitions under the policy",
            r"P_{\pi}(s, s') = \sum_{a} \pi(a | s) P(s' | s, a)",
            "",
            p_pi,
        )
        return r_pi, p_pi

    def _trace_exact(self, p: PolicyEvaluationParams, trace: Trace) -> Any:
        import numpy as np
        import sympy

        r_pi, p_pi = self._averages(p, trace)
        S = len(r_pi)
        if exact_inputs(p):

            def q_(x: float) -> Any:
                f = _simple(float(x))
                assert f is not None
                return sympy.Rational(f.numerator, f.denominator)

            P = [[[q_(x) for x in row] for row in plane] for plane in p.P]
            pi = [[q_(x) for x in row] for row in p.policy]
            g = q_(p.gamma)
            Rp = sympy.Matrix(
                [sum(pi[s][a] * q_(p.R[s][a]) for a in range(len(pi[s]))) for s in range(S)]
            )
            Pp = sympy.Matrix(
                S, S, lambda s, t: sum(pi[s][a] * P[s][a][t] for a in range(len(pi[s])))
            )
            M = sympy.eye(S) - g * Pp
            V = M.LUsolve(Rp)
            trace.step(
                "The matrix of the linear system (I − γP_π)V = R_π, in fractions",
                r"I - \gamma P_{\pi}",
                rf"I - {frac(g)} {fmatrix(Pp.tolist())}",
                np.array(M.tolist(), dtype=np.float64),
            )
            exact = [V[s] for s in range(S)]
            trace.step(
                "Solve it",
                r"V = (I - \gamma P_{\pi})^{-1} R_{\pi}",
                rf"{fmatrix(M.tolist())}^{{-1}} {fmatrix(Rp.tolist())} = "
                + fmatrix([[x] for x in exact]),
                [float(x) for x in exact],
            )
            v = np.array([float(x) for x in exact])
        else:
            M = np.eye(S) - p.gamma * p_pi
            trace.step(
                "The matrix of the linear system (I − γP_π)V = R_π",
                r"I - \gamma P_{\pi}",
                rf"I - {num(p.gamma)} {matrix(p_pi)}",
                M,
            )
            v = exact_values(p)
            trace.step(
                "Solve it",
                r"V = (I - \gamma P_{\pi})^{-1} R_{\pi}",
                rf"{matrix(M)}^{{-1}} {matrix(r_pi)}",
                v,
            )
        self._trace_backup(p, trace, v, v, r"V", r"V", "the solution satisfies it")
        return v

    def _trace_sweeps(self, p: PolicyEvaluationParams, trace: Trace) -> Any:
        import numpy as np

        k = p.iterations or 0
        vs = sweeps(p, k)
        trace.note(
            "Sweeps",
            f"Start from V₀ = 0 and back up every state {k} time{'s' if k != 1 else ''}; each "
            "sweep uses only the previous sweep's values (a synchronous update).",
        )
        if k > 0:
            s = int(np.argmax(np.abs(vs[k] - vs[k - 1])))
            self._trace_backup(
                p, trace, vs[k - 1], vs[k], f"V_{{{k - 1}}}", f"V_{{{k}}}", f"sweep {k}", s
            )
        shown = sorted(set(range(min(k, TRACED_SWEEPS) + 1)) | {k})
        S = len(p.R)
        trace.table(
            "V after each sweep"
            + (f" (sweeps {TRACED_SWEEPS + 1}–{k - 1} left out)" if len(shown) < k + 1 else ""),
            ["k", *[f"V_{{k}}({s})" for s in range(S)]],
            [[str(i), *[num(float(x)) for x in vs[i]]] for i in shown],
            [vs[i].tolist() for i in shown],
            formula=r"V_{k+1}(s) = \sum_{a} \pi(a | s) \left[ R(s, a) + \gamma \sum_{s'} "
            r"P(s' | s, a) V_{k}(s') \right]",
        )
        return vs[k]

    def _trace_backup(
        self,
        p: PolicyEvaluationParams,
        trace: Trace,
        before: Any,
        after: Any,
        old: str,
        new: str,
        what: str,
        s: int = 0,
    ) -> None:
        """One backup of state s written out in full, every action and next state."""
        A = len(p.R[0])
        inner = [
            rf"{num(p.policy[s][a])} \left( {paren(p.R[s][a])} + {num(p.gamma)} \cdot "
            + _dot(p.P[s][a], before.tolist())
            + r" \right)"
            for a in range(A)
            if p.policy[s][a] != 0
        ]
        trace.step(
            f"One backup in full ({what}, state {s})",
            rf"{new}({s}) = \sum_{{a}} \pi(a | {s}) \left[ R({s}, a) + \gamma \sum_{{s'}} "
            rf"P(s' | {s}, a) {old}(s') \right]",
            " + ".join(inner),
            float(after[s]),
        )

    def reference(self, p: PolicyEvaluationParams, device: torch.device) -> Any:
        import torch

        P = torch.tensor(p.P, dtype=torch.float64, device=device)
        R = torch.tensor(p.R, dtype=torch.float64, device=device)
        pi = torch.tensor(p.policy, dtype=torch.float64, device=device)
        r_pi = (pi * R).sum(dim=1)
        p_pi = torch.einsum("sa,sat->st", pi, P)
        if p.iterations is None:
            eye = torch.eye(len(p.R), dtype=torch.float64, device=device)
            v = torch.linalg.solve(eye - p.gamma * p_pi, r_pi)
        else:
            v = torch.zeros(len(p.R), dtype=torch.float64, device=device)
            for _ in range(p.iterations):
                v = r_pi + p.gamma * p_pi @ v
        q = R + p.gamma * torch.einsum("sat,t->sa", P, v)
        return {"v": v.cpu().tolist(), "q": q.cpu().tolist()}

    # --- misconceptions ---------------------------------------------------------------------
    def _wrong(self, p: PolicyEvaluationParams, feedback: str, **rule: Any) -> Wrong | None:
        wrong = evaluate(p, **rule)
        if not distinct(wrong, evaluate(p)):
            return None
        return Wrong(wrong, feedback)

    @misconception("used_max")
    def _used_max(self, p: PolicyEvaluationParams) -> Wrong | None:
        return self._wrong(
            p,
            "You took the best action in every backup, as value iteration does. Policy "
            "evaluation follows the given policy: average over the actions with weights π(a|s).",
            best_action=True,
        )

    @misconception("one_sweep_early")
    def _one_sweep_early(self, p: PolicyEvaluationParams) -> Wrong | None:
        if not p.iterations:
            return None
        return self._wrong(
            p,
            f"You stopped after {p.iterations - 1} sweeps instead of {p.iterations}. V₀ = 0 is "
            "the start; each of the k sweeps backs up every state once.",
            extra=-1,
        )

    @misconception("extra_iteration")
    def _extra_iteration(self, p: PolicyEvaluationParams) -> Wrong | None:
        if p.iterations is None:
            return None
        return self._wrong(
            p,
            f"You did {p.iterations + 1} sweeps instead of {p.iterations}. V₀ = 0 is the start, "
            "not a sweep (starting from V = R_π already counts as the first one).",
            extra=1,
        )


def _dot(probs: list[float], values: list[float]) -> str:
    """Σ_{s′} P(s′) V(s′) written out over the next states that can happen."""
    terms = [rf"{num(x)} \cdot {paren(v)}" for x, v in zip(probs, values) if x != 0]
    return r"\left( " + " + ".join(terms or ["0"]) + r" \right)"
