"""A corpus of hostile calls of the command line, and a runner that caps what each may use.

Each case is a `revise` call a student or a content author could make (or a file they could
plant): huge sizes, answers that are short to type and endless to compute, content files that
expand without end, outputs aimed through links, damaged databases. Every one must end by
itself within the caps with exit status 0 or 2, say what is wrong in one line, show no traceback
and write nothing but the output it was asked for.

The runner is shared by `tests/test_hostile.py` (which asserts the above) and
`bench/hostile_corpus.py` (which prints the time and peak memory of each call).
"""

from __future__ import annotations

import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CPU_SECONDS = 30  # per call: the worst legitimate one takes a few seconds
MEMORY_BYTES = 3 * 1024**3  # address space: torch alone maps about 1 GB of it
PEAK_RSS_LIMIT = 1024**3  # what a call may really use ("well under 1 GB")
WALL_GUARD_SECONDS = 180  # a blocked call (a pipe never written) is killed, and fails

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class Case:
    name: str
    argv: tuple[str, ...]
    setup: Setup | None = None
    # files the call may create or change in its folder (the named output and its checks)
    writes: frozenset[str] = field(default_factory=frozenset)
    # lines a content error may take: one per problem, then the count
    stderr_lines: int = 1
    # the exit status it must have, where the call must be refused (2) or must work (0)
    expect: int | None = None


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    cpu_seconds: float
    peak_rss: int
    wall_seconds: float


def run_case(
    case: Case, folder: Path, shared_cache: Path, root: Path = ROOT, cpu_seconds: int = CPU_SECONDS
) -> Outcome:
    """Run one case in `folder` (its working directory, home inside it) under the caps; `root`
    is the checkout whose `revise` runs (the bench compares another one)."""
    home = folder / ".home"
    env = {
        **os.environ,
        "REVISE_HOME": str(home),
        "REVISE_CACHE": str(shared_cache),
        "PYTHONPATH": str(root),
        "PYTHONIOENCODING": "utf-8",
    }

    def caps() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "revise.cli", *case.argv],
            cwd=folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            preexec_fn=caps,
        )
        # a guard against a call blocked without using CPU (never an assertion on time)
        guard = threading.Timer(WALL_GUARD_SECONDS, process.kill)
        guard.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)  # this child's own usage
        finally:
            guard.cancel()
        process.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - start
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    return Outcome(
        process.returncode,
        stdout.decode("utf-8", "replace"),
        stderr.decode("utf-8", "replace"),
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss * 1024,
        wall,
    )


# --- setups ---------------------------------------------------------------------------------


def _family(extra: str, params: str = "      size: 8\n      kernel: 3\n") -> Setup:
    def write(folder: Path) -> None:
        (folder / "fam.yaml").write_text(
            "families:\n"
            "  - id: cnn.hostile\n"
            "    topic: cnn\n"
            "    problem: conv2d.output_size\n"
            "    title: A hostile family\n"
            "    difficulty: 1\n"
            '    source: "004"\n'
            "    prompt: The size is {size}.\n"
            "    params:\n" + params + extra,
            encoding="utf-8",
        )

    return write


def _laughs(folder: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 10):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    (folder / "laughs.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _nested_yaml(folder: Path) -> None:
    (folder / "deep.yaml").write_text("cards: " + "[" * 20_000 + "]" * 20_000 + "\n")


def _fifo(folder: Path) -> None:
    os.mkfifo(folder / "fifo.yaml")


def _big_file(folder: Path) -> None:
    with (folder / "big.yaml").open("w") as f:
        f.write("# " + "x" * (5 * 1024 * 1024) + "\n")


def _escape_card(folder: Path) -> None:
    (folder / "cards.yaml").write_text(
        "cards:\n"
        "  - id: activations.hostile.def\n"
        "    topic: activations\n"
        "    kind: definition\n"
        '    source: "002"\n'
        '    front: "Hello \\e]2;owned\\a \\u202eevil"\n'
        "    back: An answer.\n",
        encoding="utf-8",
    )


def _symlink(folder: Path) -> None:
    (folder / "victim.txt").write_text("precious")
    (folder / "s.md").symlink_to(folder / "victim.txt")


def _planted_scratch(folder: Path) -> None:
    (folder / "victim.txt").write_text("precious")
    for pid in range(2, 64):  # the old predictable scratch names, for any likely pid
        (folder / f".race.md.{pid}.tmp").symlink_to(folder / "victim.txt")


def _a_file(folder: Path) -> None:
    (folder / "plain.txt").write_text("in the way")


def _store(change: Callable[[Path], None]) -> Setup:
    """A review database made by revise (a template, copied), then changed by `change`."""

    def make(folder: Path) -> None:
        home = folder / ".home"
        home.mkdir(parents=True, exist_ok=True)
        template = _template_store()
        shutil.copy(template, home / "revise.db")
        change(home / "revise.db")

    return make


_TEMPLATE: list[Path] = []


def _template_store() -> Path:
    if not _TEMPLATE:
        import tempfile

        from revise.store import open_store

        path = Path(tempfile.mkdtemp(prefix="revise-template-")) / "revise.db"
        store = open_store(path)
        with store.write() as conn:
            # enough pages that damage in the middle of the file lands on a table's pages
            conn.executemany(
                "INSERT INTO items (id, kind, state, due, stability, difficulty, last_review) "
                "VALUES (?, 'card', 2, 0, 1.0, 5.0, 0)",
                [(f"filler.{i}.def",) for i in range(3000)],
            )
        store.close()
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _sql(statement: str) -> Callable[[Path], None]:
    def change(db: Path) -> None:
        conn = sqlite3.connect(db)
        conn.execute(statement)
        conn.commit()
        conn.close()

    return change


def _garbage_in_the_middle(db: Path) -> None:
    size = db.stat().st_size
    with db.open("r+b") as f:
        f.seek(size // 2 // 4096 * 4096)
        f.write(os.urandom(8192))


# --- the corpus -----------------------------------------------------------------------------

_LONG_LIST = " ".join(["1"] * 3999)
_MATRIX_60 = "; ".join(" ".join(["1"] * 60) for _ in range(60))
_NESTED = "[" * 5000 + "1" + "]" * 5000

CASES: tuple[Case, ...] = (
    # time and memory after parsing (issue defects 1-8)
    Case(
        "long-list-answer",
        ("check", "conv2d.output_size", "size=32", "kernel=5", f"--answer={_LONG_LIST}"),
    ),
    Case(
        "matrix-60-answer",
        ("check", "conv2d.output_size", "size=32", "kernel=5", f"--answer={_MATRIX_60}"),
    ),
    Case(
        "expand-never-ends", ("check", "derivative", "f=x^3", "--answer", "(x+y+1)^64*(x+y+2)^64")
    ),
    Case("expand-as-expected", ("check", "derivative", "f=(x+1)^64*(x+2)^64", "--answer", "1")),
    Case("expected-beyond-parser", ("check", "derivative", "f=(x^64)^64", "--answer", "1")),
    Case("nested-powers-check", ("check", "derivative", "f=((x^64)^64)^64", "--answer", "x")),
    Case("tower-at-3", ("solve", "derivative", "f=x^x^x^x", "at=3")),
    Case("tower-near-1", ("solve", "derivative", "f=(((x^64)^64)^64)^64", "at=1.0000001")),
    Case(
        "nested-exponentials",
        ("solve", "hessian.critical_point", "f=e^(e^(e^(e^(e^(e^x)))))", "point=[0,0]"),
    ),
    Case("overflow-json", ("solve", "derivative", "f=x^64", "at=1e10", "--json")),
    Case(
        "overflow-check-json",
        ("check", "derivative", "f=x^64", "at=1e10", "--answer", "1", "--json"),
    ),
    Case("huge-size", ("solve", "conv2d.output_size", "size=1000000000000", "kernel=5")),
    Case("size-1e30", ("solve", "conv2d.output_size", f"size={10**30}", "kernel=5")),
    Case("size-pair-huge", ("solve", "conv2d.output_size", "size=[99999,1000000000]", "kernel=5")),
    Case("pool-huge", ("solve", "pool2d.output_size", "size=1000000000000", "kernel=2")),
    Case(
        "convtranspose-huge",
        (
            "solve",
            "convtranspose2d.output_size",
            "size=100000",
            "kernel=1000",
            "stride=1000",
            "dilation=1000",
        ),
    ),
    Case(
        "conv-params-huge",
        (
            "solve",
            "conv2d.params",
            "in_channels=100000000",
            "out_channels=100000000",
            "kernel=1000",
        ),
    ),
    Case(
        "conv-macs-huge",
        (
            "solve",
            "conv2d.macs",
            "in_channels=1000000",
            "out_channels=1000000",
            "kernel=1000",
            "size=100000",
        ),
    ),
    Case("padding-12000", ("solve", "conv2d.forward", "x=[[1]]", "w=[[1]]", "padding=12000")),
    Case("padding-1000", ("solve", "conv2d.forward", "x=[[1]]", "w=[[1]]", "padding=1000")),
    Case(
        "pool-forward-window", ("solve", "pool2d.forward", "x=[[1]]", "kernel=1000", "padding=500")
    ),
    Case("nested-5000", ("solve", "conv2d.forward", f"x={_NESTED}", "w=[[1]]")),
    Case(
        "too-many-numbers",
        ("solve", "activation", "name=relu", "x=[" + ",".join(["1"] * 20000) + "]"),
    ),
    Case("huge-int-in-list", ("solve", "activation", "name=relu", f"x=[{10**400}]")),
    Case(
        "rl-iterations",
        (
            "solve",
            "rl.value_iteration",
            "P=[[[1,0],[0,1]],[[0,1],[1,0]]]",
            "R=[[0,1],[2,0]]",
            "gamma=0.9",
            "iterations=100000000",
        ),
    ),
    # storage (9-11)
    Case("user-version-minus-1", ("stats",), _store(_sql("PRAGMA user_version = -1"))),
    Case(
        "settings-not-a-number",
        ("stats",),
        _store(_sql("UPDATE settings SET value = '\"abc\"' WHERE key = 'new_per_day'")),
    ),
    Case(
        "settings-review-not-a-number",
        ("review", "--plain"),
        _store(_sql("UPDATE settings SET value = '[1]' WHERE key = 'reviews_per_day'")),
    ),
    Case(
        "due-2-63",
        ("stats",),
        _store(_sql("UPDATE items SET due = 9223372036854775807 WHERE num = 1")),
    ),
    Case(
        "due-not-a-number", ("stats",), _store(_sql("UPDATE items SET due = 'soon' WHERE num = 1"))
    ),
    Case("garbage-in-the-middle", ("exam", "set", "2030-01-01"), _store(_garbage_in_the_middle)),
    # content files (12-14, 16)
    Case("billion-laughs", ("validate", "laughs.yaml"), _laughs, stderr_lines=2, expect=2),
    Case("yaml-nested-20000", ("validate", "deep.yaml"), _nested_yaml, stderr_lines=2, expect=2),
    Case("dev-zero", ("validate", "/dev/zero"), stderr_lines=2, expect=2),
    Case("fifo", ("validate", "fifo.yaml"), _fifo, stderr_lines=2, expect=2),
    Case("five-megabytes", ("validate", "big.yaml"), _big_file, stderr_lines=2, expect=2),
    Case(
        "derived-power-tower",
        ("validate", "fam.yaml"),
        _family('    derived:\n      big: "(((10**64)**64)**64)**64"\n'),
        stderr_lines=2,
        expect=2,
    ),
    Case(
        "derived-doubling",
        ("validate", "fam.yaml"),
        _family(
            "    let:\n      s: {const: ab}\n    derived:\n"
            + "".join(
                f'      d{i}: "{"s" if i == 0 else f"d{i - 1}"} + '
                f'{"s" if i == 0 else f"d{i - 1}"}"\n'
                for i in range(40)
            )
        ),
        stderr_lines=2,
        expect=2,
    ),
    Case(
        "derived-100000-terms",
        ("validate", "fam.yaml"),
        _family('    derived:\n      big: "' + "+".join(["1"] * 100_000) + '"\n'),
        stderr_lines=2,
        expect=2,
    ),
    Case(
        "sampler-matrix-of-vectors",
        ("validate", "fam.yaml"),
        _family(
            "    let:\n      m: {matrix: {vector: {int: [0, 9]}, len: 100000}, rows: 300, cols: 300}\n"
        ),
        stderr_lines=2,
        expect=2,
    ),
    Case(
        "sampler-simplex",
        ("validate", "fam.yaml"),
        _family("    let:\n      p: {simplex: 30000000, step: 0.00000001}\n"),
        stderr_lines=2,
        expect=2,
    ),
    Case(
        "sampler-padding-3000",
        ("validate", "fam.yaml"),
        _family("", "      size: 8\n      kernel: 3\n      padding: 3000\n"),
        stderr_lines=2,
        expect=2,
    ),
    Case("card-with-escapes", ("validate", "cards.yaml"), _escape_card, stderr_lines=2, expect=2),
    # output files and printouts (17-21)
    Case(
        "output-through-link",
        ("print", "--count", "1", "--seed", "3", "-o", "s.md"),
        _symlink,
        frozenset({"s.md"}),
    ),
    Case(
        "planted-scratch-links",
        ("print", "--count", "1", "--seed", "3", "-o", "race.md"),
        _planted_scratch,
        frozenset({"race.md"}),
    ),
    Case("output-under-a-file", ("print", "--count", "1", "-o", "plain.txt/sheet.md"), _a_file),
    Case("output-read-only", ("print", "--count", "1", "-o", "/proc/revise-sheet.md")),
    Case("output-300-chars", ("print", "--count", "1", "-o", "n" * 300 + ".md")),
    Case("output-a-folder", ("print", "--count", "1", "-o", ".")),
    Case("anki-under-a-file", ("export", "anki", "-o", "plain.txt/deck.apkg"), _a_file),
    Case("anki-300-chars", ("export", "anki", "--variants", "0", "-o", "n" * 300 + ".apkg")),
    Case(
        "ngram-brace-pdf",
        (
            "print",
            "--problem",
            "ngram.bigram",
            'corpus=["a } b","a b"]',
            "sentence=a } b",
            "-o",
            "x.pdf",
        ),
        writes=frozenset({"x.pdf"}),
    ),
    Case(
        "ngram-brace-md",
        (
            "print",
            "--problem",
            "ngram.bigram",
            'corpus=["a $x$ <script>alert(1)</script> b","a b"]',
            "sentence=a $x$ b",
            "-o",
            "x.md",
        ),
        writes=frozenset({"x.md"}),
    ),
    Case(
        "ngram-escape-terminal",
        ("solve", "ngram.bigram", 'corpus=["a \\u001b[2J b","a b"]', "sentence=a \\u001b[2J b"),
    ),
    Case("count-100000", ("print", "--count", "100000", "-o", "c.md")),
    Case("cards-100000", ("print", "--cards", "100000", "-o", "c.md")),
)
