"""Loading the course from YAML, reporting every problem at once with its file, line and key.

Each file is composed into a YAML node tree (which keeps line marks), the data is built from that
tree, and each item is validated by its pydantic model. A pydantic error location
(`("families", 3, "params", "kernel")`) is walked down the node tree to find its line, so every
problem reads `content/data/families/cnn.yaml:42 families[3].params.kernel: message`. Then come
the checks across files: duplicate ids, topics that do not exist, problem ids and parameter names
the engine does not know, template placeholders nothing provides, samplers whose draws the
problem refuses, and families whose draws never meet the quality rules of `content.quality`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from content import limits, samplers
from content.models import SOURCES, Card, Family, GlossaryTerm, Topic, format_value
from content.prompt import check_template
from content.samplers import SamplingError
from engine.errors import ProblemError, UserError

if TYPE_CHECKING:
    import yaml

__all__ = [
    "ContentError",
    "ContentProblem",
    "Course",
    "DATA_DIR",
    "check",
    "load",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
DATA_DISPLAY = "content/data"
#: seeds each family draws at load time; each draw must be a call its problem accepts
LOAD_SEEDS = 8
#: of those, the first ones are also held to the quality rules (content.quality)
QUALITY_SEEDS = 3
#: top-level key of a content file → the model of its items
SECTIONS: dict[str, type[BaseModel]] = {
    "topics": Topic,
    "cards": Card,
    "terms": GlossaryTerm,
    "families": Family,
}

Loc = tuple[str | int, ...]


@dataclass(frozen=True, order=True)
class ContentProblem:
    """One thing wrong with the content, located by file, line and key."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        return f"{where} {self.key}: {self.message}" if self.key else f"{where}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "key": self.key, "message": self.message}


class ContentError(UserError):
    """The content has problems; `problems` lists every one, and the message has one per line."""

    def __init__(self, problems: Sequence[ContentProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def lines(self) -> list[str]:
        return [str(p) for p in self.problems]


@dataclass(frozen=True)
class Course:
    """The loaded course: topics in course order, cards (glossary cards included), families."""

    topics: tuple[Topic, ...]
    cards: tuple[Card, ...]
    families: tuple[Family, ...]
    glossary: tuple[GlossaryTerm, ...] = ()
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def _index(self) -> dict[str, dict[str, Any]]:
        return {
            "topics": {t.id: t for t in self.topics},
            "cards": {c.id: c for c in self.cards},
            "families": {f.id: f for f in self.families},
        }

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError if there is none."""
        return self._index["topics"][topic_id]

    def card(self, card_id: str) -> Card:
        """The card with this id (glossary cards included); KeyError if there is none."""
        return self._index["cards"][card_id]

    def family(self, family_id: str) -> Family:
        """The question family with this id; KeyError if there is none."""
        return self._index["families"][family_id]

    def cards_for(self, topic_id: str) -> list[Card]:
        return [c for c in self.cards if c.topic == topic_id]

    def families_for(self, topic_id: str) -> list[Family]:
        return [f for f in self.families if f.topic == topic_id]

    def families_for_problem(self, problem_id: str) -> list[Family]:
        return [f for f in self.families if f.problem == problem_id]

    def counts(self) -> dict[str, int]:
        return {
            "topics": len(self.topics),
            "cards": len(self.cards),
            "glossary": len(self.glossary),
            "families": len(self.families),
        }


# --- YAML with line marks -------------------------------------------------------------------
# PyYAML is imported when a file is read, not with the package: the app reads the course from
# its cache and never parses YAML, and yaml's import is a tenth of a second of its start-up.


def _loader(text: str) -> Any:
    """libyaml's parser when PyYAML has it (several times faster), the pure-Python one otherwise."""
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)


@dataclass
class _Doc:
    display: str
    node: yaml.Node
    data: Any


class _Reporter:
    def __init__(self) -> None:
        self.problems: list[ContentProblem] = []

    def add(self, file: str, line: int, key: str, message: str) -> None:
        self.problems.append(ContentProblem(file, line, key, message))

    def at(self, doc: _Doc, loc: Loc, message: str) -> None:
        line, key = locate(doc.node, loc)
        self.add(doc.display, line, key, message)


def _format_key(parts: Iterable[str | int]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += f".{p}" if out else p
    return out


def locate(root: yaml.Node, loc: Loc) -> tuple[int, str]:
    """The line and the written key of a location in a document (1-based line).

    Components that pydantic adds but the file does not have (union tags such as `~int`,
    `[key]`) are skipped; a key that is absent (a missing required key) is named at the line
    of the mapping that should hold it.
    """
    import yaml

    node: yaml.Node | None = root
    line = root.start_mark.line + 1
    parts: list[str | int] = []
    for comp in loc:
        if isinstance(comp, str) and (comp.startswith("~") or comp == "[key]"):
            continue
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode) and isinstance(comp, str):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == comp:
                    child, line = v, k.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(comp, int):
            if 0 <= comp < len(node.value):
                child = node.value[comp]
                line = child.start_mark.line + 1
        parts.append(comp)
        node = child
    return line, _format_key(parts)


def _duplicate_keys(node: yaml.Node, loc: Loc, doc: _Doc, report: _Reporter) -> None:
    import yaml

    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                line = k.start_mark.line + 1
                if k.value in seen:
                    report.add(
                        doc.display,
                        line,
                        _format_key([*loc, k.value]),
                        f"duplicate key (first on line {seen[k.value]})",
                    )
                else:
                    seen[k.value] = line
                _duplicate_keys(v, (*loc, k.value), doc, report)
    elif isinstance(node, yaml.SequenceNode):
        for i, v in enumerate(node.value):
            _duplicate_keys(v, (*loc, i), doc, report)


def _read(path: Path, display: str, report: _Reporter) -> _Doc | None:
    import yaml

    try:
        text = limits.read_text(path)
    except limits.LimitError as exc:
        report.add(display, 1, "", str(exc))
        return None
    except UnicodeDecodeError as exc:
        report.add(display, 1, "", f"not UTF-8 text ({exc.reason})")
        return None
    except OSError as exc:
        report.add(display, 1, "", f"cannot read: {exc.strerror or exc}")
        return None
    try:
        loader = _loader(text)
        try:
            node = loader.get_single_node()
            if node is not None:
                limits.check_yaml(node)  # before aliases are walked or built
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at_end = mark is not None and mark.index >= len(text.rstrip())
        if at_end and exc.context_mark is not None:  # "never closed": point at the opening
            mark = exc.context_mark
        line = mark.line + 1 if mark else 1
        what = " ".join(x for x in (exc.context, exc.problem) if x)
        report.add(display, line, "", f"not valid YAML: {what}")
        return None
    except yaml.YAMLError as exc:
        report.add(display, 1, "", f"not valid YAML: {exc}")
        return None
    except limits.LimitError as exc:
        report.add(display, 1, "", str(exc))
        return None
    except RecursionError:
        report.add(display, 1, "", "the YAML is nested too deeply")
        return None
    if node is None:
        report.add(display, 1, "", f"empty file (expected one of: {', '.join(SECTIONS)})")
        return None
    doc = _Doc(display, node, data)
    _duplicate_keys(node, (), doc, report)
    return doc


# --- pydantic errors as problems ------------------------------------------------------------
_PATTERNS = {
    "^[a-z0-9]+(?:[-_][a-z0-9]+)*$": "must be a slug: lowercase letters and digits joined by - or _",
    "^[a-z0-9]+(?:[-_.][a-z0-9]+)*$": "must be an id: lowercase letters and digits joined by "
    "'.', '-' or '_' (e.g. cnn.receptive-field.def)",
    "^[A-Za-z_][A-Za-z0-9_]*$": "must be a name: letters, digits and _, not starting with a digit",
}


def _message(err: Any, model: type[BaseModel], loc: Loc) -> str:
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        owner = _owner_fields(model, loc[:-1])
        allowed = f" (allowed: {', '.join(owner)})" if owner else ""
        return f"unknown key{allowed}"
    if kind == "missing":
        return "required key is missing"
    if kind == "literal_error" and any(c in ("source", "notes") for c in loc[-2:]):
        return f"must be a seed note id: {', '.join(SOURCES)}"
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        if pattern in _PATTERNS:
            return _PATTERNS[pattern]
        if loc and loc[-1] == "part":
            return "must be an answer key, or a dotted path for a nested one (grads.w1)"
    message = str(err.get("msg", "invalid value"))
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    if kind in ("string_type", "int_type", "list_type", "dict_type", "bool_type", "float_type"):
        got = err.get("input")
        message += f", got {_describe(got)}"
    return message


def _describe(v: Any) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"a boolean ({format_value(v)})"
    if isinstance(v, int | float):
        return f"a number ({format_value(v)})"
    if isinstance(v, str):
        return f"text ({v[:30]!r})"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _owner_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    """The allowed keys of the mapping at `loc` below an item (for "unknown key" messages)."""
    tags = [c for c in loc if isinstance(c, str) and c.startswith("~")]
    owner: type[BaseModel] | None = None
    if tags:
        owner = _SAMPLER_MODELS.get(tags[-1][1:])
    elif not loc:
        owner = model
    if owner is None:
        return []
    return [f.alias or name for name, f in owner.model_fields.items()]


_SAMPLER_MODELS: dict[str, type[BaseModel]] = {
    "const": samplers.ConstSampler,
    "choice": samplers.ChoiceSampler,
    "int": samplers.IntSampler,
    "real": samplers.RealSampler,
    "vector": samplers.VectorSampler,
    "matrix": samplers.MatrixSampler,
    "list": samplers.ListSampler,
    "record": samplers.RecordSampler,
    "expr": samplers.ExprSampler,
    "simplex": samplers.SimplexSampler,
    "graph": samplers.GraphSampler,
}


def _validate_items(doc: _Doc, report: _Reporter) -> tuple[str, list[tuple[int, Any, Any]]]:
    """The section of a document and its items as (index, raw data, model or None if invalid)."""
    data = doc.data
    expected = ", ".join(f"{k}:" for k in SECTIONS)
    if not isinstance(data, dict):
        report.at(doc, (), f"expected a mapping with one list: {expected}")
        return "", []
    keys = [k for k in data if k in SECTIONS]
    for k in data:
        if k not in SECTIONS:
            import difflib

            close = difflib.get_close_matches(str(k), list(SECTIONS), n=1)
            hint = f"did you mean {close[0]}:? " if close else ""
            report.at(
                doc, (str(k),), f"unknown section ({hint}a content file has one of: {expected})"
            )
    if len(keys) != 1:
        if not data:
            report.at(doc, (), f"no content section (expected one of: {expected})")
        elif keys:
            report.at(doc, (keys[1],), "a content file has a single section")
        return "", []
    section = keys[0]
    items = data[section]
    if items is None:
        items = []
    if not isinstance(items, list):
        report.at(doc, (section,), f"must be a list, got {_describe(items)}")
        return section, []
    model = SECTIONS[section]
    out: list[tuple[int, Any, Any]] = []
    for i, item in enumerate(items):
        try:
            out.append((i, item, model.model_validate(item)))
        except ValidationError as exc:
            out.append((i, item, None))
            for err in exc.errors():
                loc: Loc = (section, i, *err.get("loc", ()))
                report.at(doc, loc, _message(err, model, tuple(err.get("loc", ()))))
    return section, out


# --- checks across files --------------------------------------------------------------------
@dataclass
class _Item:
    """One item of a content file: its raw data always, its model when it validated."""

    doc: _Doc
    section: str
    index: int
    raw: Any
    model: Any

    def loc(self, *rest: str | int) -> Loc:
        return (self.section, self.index, *rest)

    def where(self) -> str:
        line, _ = locate(self.doc.node, self.loc())
        return f"{self.doc.display}:{line}"

    def get(self, key: str, kind: type | tuple[type, ...]) -> Any:
        """A raw field if it has the right type (checks still run on items that failed)."""
        value = self.raw.get(key) if isinstance(self.raw, dict) else None
        return value if isinstance(value, kind) and not isinstance(value, bool) else None


def _check_duplicates(items: list[_Item], ids: Any, what: str, report: _Reporter) -> None:
    first: dict[str, _Item] = {}
    for item in items:
        for value, loc in ids(item):
            if value in first:
                report.at(
                    item.doc,
                    loc,
                    f"duplicate {what} id {value!r} (first at {first[value].where()})",
                )
            else:
                first[value] = item


def _plain_id(item: _Item) -> list[tuple[str, Loc]]:
    value = item.get("id", str)
    return [(value, item.loc("id"))] if value else []


def _card_ids(item: _Item) -> list[tuple[str, Loc]]:
    value = item.get("id", str)
    if not value:
        return []
    if item.section == "terms":
        return [(f"glossary.{value}.{way}", item.loc("id")) for way in ("zh-en", "en-zh")]
    # a replaced id belongs to its surviving card: no other card may use or replace it
    replaced = item.get("replaces", list) or []
    old = [(r, item.loc("replaces", i)) for i, r in enumerate(replaced) if isinstance(r, str)]
    return [(value, item.loc("id")), *old]


def _check_topic_ref(item: _Item, topics: set[str], report: _Reporter) -> None:
    topic = item.get("topic", str)
    if topics and topic and topic not in topics:
        import difflib

        close = difflib.get_close_matches(topic, sorted(topics), n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        report.at(item.doc, item.loc("topic"), f"unknown topic {topic!r}{hint}")


def _check_family(
    item: _Item, problems: dict[str, Any], seeds: int, deep: int, report: _Reporter
) -> None:
    problem_id = item.get("problem", str)
    params = item.get("params", dict) or {}
    problem = problems.get(problem_id) if problem_id else None
    broken = item.model is None
    if problem_id and problem is None:
        import difflib

        close = difflib.get_close_matches(problem_id, sorted(problems), n=1)
        hint = f" (did you mean {close[0]}?)" if close else " (see `revise problems`)"
        report.at(item.doc, item.loc("problem"), f"unknown problem {problem_id!r}{hint}")
        broken = True
    elif problem is not None:
        fields = problem.Params.model_fields
        for name in params:
            if name not in fields:
                known = ", ".join(fields)
                report.at(
                    item.doc,
                    item.loc("params", name),
                    f"{problem_id} has no parameter {name!r} (it takes: {known})",
                )
                broken = True
        if item.get("params", dict) is not None:
            for name, f in fields.items():
                if f.is_required() and name not in params:
                    report.at(
                        item.doc,
                        item.loc("params"),
                        f"required parameter {name!r} of {problem_id} is not given",
                    )
                    broken = True

    defined: dict[str, str] = {}
    for section in ("let", "params", "derived"):
        for name in item.get(section, dict) or {}:
            if name in defined:
                report.at(
                    item.doc,
                    item.loc(section, name),
                    f"{name!r} is already defined in {defined[name]}",
                )
                broken = True
            defined[str(name)] = section
    fam: Family | None = item.model
    if fam is not None:
        for loc, expr, visible in fam.expressions():
            for name in sorted(expr.names - visible):
                later = f" ({name!r} is drawn later: order matters)" if name in defined else ""
                report.at(
                    item.doc, item.loc(*loc), f"unknown name {name!r} in {expr.source!r}{later}"
                )
                broken = True

    prompt = item.get("prompt", str)
    if prompt is not None:
        for message in check_template(prompt, defined):
            report.at(item.doc, item.loc("prompt"), message)
            broken = True
    if broken or problem is None or fam is None:
        return
    from content.quality import declaration_problems

    declared = declaration_problems(fam, problem)
    for loc, message in declared:
        report.at(item.doc, item.loc(*loc), message)
    if declared:
        return

    for seed in range(seeds):
        try:  # the prompt is put together once; every seed's draw is checked as a call, and
            # the first ones are judged by the quality rules too (each judgement solves)
            judged = seed < QUALITY_SEEDS
            params = (
                fam.variant(seed).params if seed == 0 else fam.draw_counted(seed, judged).params
            )
        except SamplingError as exc:
            report.at(item.doc, item.loc(*exc.path), f"seed {seed}: {exc}")
            return
        try:
            problem.parse_params(params)
        except ProblemError as exc:
            _invalid_call(item, fam, seed, params, exc, report)
            return
        if seed < deep and not _deep_check(item, fam, seed, params, report):
            return


def _invalid_call(
    item: _Item,
    fam: Family,
    seed: int,
    params: dict[str, Any],
    exc: ProblemError,
    report: _Reporter,
) -> None:
    root = (exc.param or "").split(".")[0].split("[")[0]
    loc = item.loc("params", root) if root in fam.params else item.loc("params")
    drawn = ", ".join(f"{k}={format_value(v)}" for k, v in params.items())
    if len(drawn) > 160:
        drawn = drawn[:157] + "..."
    report.at(
        item.doc,
        loc,
        f"{exc.message} — seed {seed} draws an invalid call of {fam.problem} ({drawn})",
    )


def _deep_check(
    item: _Item, fam: Family, seed: int, params: dict[str, Any], report: _Reporter
) -> bool:
    from content.models import answer_part
    from engine.solve import solve

    try:
        answer = solve(fam.problem, params, verify=False).answer
    except ProblemError as exc:
        _invalid_call(item, fam, seed, params, exc, report)
        return False
    except Exception as exc:  # a bug in a problem: report it here rather than crash validation
        report.at(
            item.doc,
            item.loc("problem"),
            f"seed {seed}: the engine failed to solve it ({type(exc).__name__}: {exc})",
        )
        return False
    try:
        value = answer_part(answer, fam.part)
    except KeyError:
        parts = ", ".join(answer) if isinstance(answer, dict) else "none: a single value"
        report.at(
            item.doc,
            item.loc("part"),
            f"the answer of {fam.problem} has no part {fam.part!r} (its parts: {parts})",
        )
        return False
    if not _finite(value):
        report.at(
            item.doc,
            item.loc("params"),
            f"seed {seed}: the answer is not finite ({format_value(value)})",
        )
        return False
    return True


def _finite(v: Any) -> bool:
    if isinstance(v, float):
        return math.isfinite(v)
    if isinstance(v, list):
        return all(_finite(x) for x in v)
    if isinstance(v, dict):
        return all(_finite(x) for x in v.values())
    return True


# --- entry points ---------------------------------------------------------------------------
def _files(path: Path | None) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]]]:
    """(files to check, extra files for topic references only) with their display names."""
    if path is None:
        root, display = DATA_DIR, DATA_DISPLAY
    else:
        root, display = path, path.as_posix()
    if root.is_dir():
        files = sorted(p for p in root.rglob("*.y*ml") if p.suffix in (".yaml", ".yml"))
        return [(p, f"{display}/{p.relative_to(root).as_posix()}") for p in files], []
    extra: list[tuple[Path, str]] = []
    if root.name not in ("topics.yaml", "topics.yml"):
        for parent in (root.parent, root.parent.parent):
            candidate = parent / "topics.yaml"
            if candidate.is_file():
                extra = [(candidate, candidate.as_posix())]
                break
        else:
            extra = [(DATA_DIR / "topics.yaml", f"{DATA_DISPLAY}/topics.yaml")]
    return [(root, display)], extra


def check(
    path: str | Path | None = None, seeds: int = LOAD_SEEDS, deep: int = 0
) -> tuple[Course, list[ContentProblem]]:
    """Load what can be loaded and list every problem (sorted by file and line).

    `seeds`: how many seeds of each family are drawn and checked as calls of the problem.
    `deep`: how many of those are also solved by the engine, to check the part asked exists.
    """
    report = _Reporter()
    target = Path(path) if path is not None else None
    if target is not None and not target.exists():
        report.add(str(target), 1, "", "no such file or folder")
        return Course((), (), ()), report.problems
    files, extra = _files(target)
    if target is not None and target.is_dir() and not files:
        report.add(target.as_posix(), 1, "", "no .yaml content files here")

    items: dict[str, list[_Item]] = {s: [] for s in SECTIONS}
    for p, display in files:
        doc = _read(p, display, report)
        if doc is None:
            continue
        section, found = _validate_items(doc, report)
        for index, raw, model in found:
            items[section].append(_Item(doc, section, index, raw, model))

    reference_topics: list[Topic] = []
    for p, display in extra:
        quiet = _Reporter()
        doc = _read(p, display, quiet)
        if doc is not None:
            section, found = _validate_items(doc, quiet)
            if section == "topics":
                reference_topics = [m for _, _, m in found if m is not None]

    if not items["topics"] and not reference_topics and (target is None or target.is_dir()):
        where = (target.as_posix() if target else DATA_DISPLAY) + "/topics.yaml"
        report.add(where, 1, "", "no topics: the course needs a topics.yaml with `topics:`")

    _check_duplicates(items["topics"], _plain_id, "topic", report)
    _check_duplicates(items["terms"], _plain_id, "glossary term", report)
    card_items = items["cards"] + items["terms"]
    _check_duplicates(card_items, _card_ids, "card", report)
    _check_duplicates(items["families"], _plain_id, "family", report)

    topic_ids = {t for t in (it.get("id", str) for it in items["topics"]) if t}
    topic_ids |= {t.id for t in reference_topics}
    for it in card_items + items["families"]:
        _check_topic_ref(it, topic_ids, report)
    if items["families"]:
        from engine.registry import all_problems

        problems = {p.id: p for p in all_problems()}
        for it in items["families"]:
            _check_family(it, problems, seeds, deep, report)

    valid = {s: [it for it in group if it.model is not None] for s, group in items.items()}
    topics = sorted((it.model for it in valid["topics"]), key=lambda t: (t.order, t.id))
    cards: list[Card] = []
    origins: dict[str, str] = {}
    for it in valid["cards"]:
        cards.append(it.model)
        origins[it.model.id] = it.where()
    glossary = [it.model for it in valid["terms"]]
    for it in valid["terms"]:
        for c in it.model.cards():
            cards.append(c)
            origins[c.id] = it.where()
    families = [it.model for it in valid["families"]]
    for it in valid["families"]:
        origins[it.model.id] = it.where()
    course = Course(tuple(topics), tuple(cards), tuple(families), tuple(glossary), origins)
    return course, sorted(set(report.problems), key=_sort_key)


def _sort_key(p: ContentProblem) -> tuple[str, int, str, str]:
    return (p.file, p.line, p.key, p.message)


def load(path: str | Path | None = None, seeds: int = LOAD_SEEDS, deep: int = 0) -> Course:
    """The course under `path` (default: the packaged data); ContentError lists every problem."""
    course, problems = check(path, seeds=seeds, deep=deep)
    if problems:
        raise ContentError(problems)
    return course
