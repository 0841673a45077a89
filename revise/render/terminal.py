"""A solution as a person reads it in the terminal: numbered steps, formula → numbers → value."""

from __future__ import annotations

import json

from engine.solve import Solution
from revise.render.unicode_math import latex_to_unicode
from revise.render.values import format_value


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def render_solution(solution: Solution) -> str:
    from engine import get_problem

    problem = get_problem(solution.problem)
    params = " ".join(
        f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in solution.params.items()
    )
    lines = [f"{solution.problem} — {problem.summary}", f"Parameters: {params}", ""]
    for number, step in enumerate(solution.steps, start=1):
        lines.append(f"{number}. {step.title}")
        if step.formula:
            lines.append(_indent(latex_to_unicode(step.formula), "     "))
            if step.substituted:
                lines.append(_indent("= " + latex_to_unicode(step.substituted), "     "))
            lines.append(_indent("= " + format_value(step.value), "     "))
        else:
            lines.append(_indent(str(step.value), "     "))
        lines.append("")
    lines.append(f"Answer: {format_value(solution.answer)}")
    if solution.verified:
        v = solution.verified
        lines.append(
            f"Checked against {v.by} on {v.device} (largest difference {v.max_abs_diff:.3g})."
        )
    return "\n".join(lines)
