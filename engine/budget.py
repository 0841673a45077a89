"""The budget that every student- or author-supplied computation runs under.

Two mechanisms, so that no input can make revise run for minutes or fill the memory:

- **Declared maxima, checked before anything is allocated.** Each parameter model declares its
  limits beside its fields (`at_most(LIMIT)` on a field, `check_work(...)` in a validator); the
  one-line error names the parameter and the limit. The shared parameter types in
  `engine.params` carry the general ones (the largest whole number, the most numbers in a list,
  the deepest nesting).
- **A worker that can be stopped, for symbolic work.** SymPy can be asked for things whose cost
  no parser can foresee (`(x+y+1)^64·(x+y+2)^64` expanded, `x^x^x^x` at 3 evaluated exactly).
  `bounded(fn, ...)` runs such work in a forked child process with a CPU-time and an
  address-space limit; the parent waits a bounded time and kills it past that. A worker thread
  could not be stopped and would go on eating memory after giving up.

Where `os.fork` does not exist (Windows) the work runs in-process, bounded by the maxima alone.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import time
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from engine.errors import ProblemError

T = TypeVar("T")

# CPU seconds for one piece of symbolic work: a course exercise takes well under 0.5 s
SYMBOLIC_SECONDS = 4
# memory a worker may add to what the process already maps
SYMBOLIC_MEMORY = 768 * 1024 * 1024
_FAILED = 3  # the child's exit status when it could not even report
# once the CPU limit is hit the kernel stops the child; this covers a child blocked elsewhere
_WALL_FACTOR = 2.5


class OverBudget(Exception):
    """The work did not finish within its CPU time or memory: `what` says which."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(what)


def at_most(limit: int) -> Callable[[Any], Any]:
    """A field validator: every whole number in the value (an int or an (h, w) pair) ≤ limit."""

    def validate(v: Any) -> Any:
        values = v if isinstance(v, tuple | list) else (v,)
        if any(isinstance(x, int) and x > limit for x in values):
            raise ValueError(f"must be at most {limit:,} (revise's limit for this parameter)")
        return v

    return validate


def check_work(param: str | None, amount: int, limit: int, what: str) -> None:
    """Refuse, before allocating, a computation of `amount` units (numbers, steps) over `limit`."""
    if amount > limit:
        raise ProblemError(
            param,
            f"{what} would be {amount:,}, over revise's limit of {limit:,}: use smaller values",
        )


def bounded(
    fn: Callable[..., T],
    *args: Any,
    seconds: int = SYMBOLIC_SECONDS,
    memory: int = SYMBOLIC_MEMORY,
) -> T:
    """`fn(*args)` in a child process limited to `seconds` of CPU and `memory` more bytes.

    Returns what `fn` returns, re-raises what it raises (both must pickle), and raises
    `OverBudget` when the limit is reached. Workers nest: a part of the work may have a
    smaller budget of its own, and what it exhausts is its own.
    """
    if not hasattr(os, "fork"):
        return fn(*args)
    # imported once here rather than again in every child: symbolic work always needs it
    import sympy  # noqa: F401

    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # forking with threads alive is safe here: the child runs only `fn` and then `_exit`s
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child
        os.close(read_end)
        _child(write_end, fn, args, seconds, memory)
    os.close(write_end)
    try:
        data = _read_all(read_end, pid, seconds * _WALL_FACTOR + 1)
    except BaseException:  # interrupted (Ctrl-C): the child must not outlive the wait
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        raise
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if not data:
        if os.WIFEXITED(status) and os.WEXITSTATUS(status) == _FAILED:
            raise RuntimeError("a bounded worker stopped without an answer")
        killed = os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL)
        raise OverBudget(f"{seconds} s of computing" if killed else "the memory revise allows")
    kind, value = pickle.loads(data)  # written by our own child just now: trusted
    if kind == "error":
        raise value
    if kind == "over":
        raise OverBudget(value)
    result: T = value
    return result


def _child(
    write_end: int, fn: Callable[..., Any], args: tuple[Any, ...], seconds: int, memory: int
) -> None:
    import resource  # POSIX only, like fork

    code = 0
    try:
        _lower(resource.RLIMIT_CPU, seconds)
        mapped = _mapped_bytes()
        if mapped is not None:
            _lower(resource.RLIMIT_AS, mapped + memory)
        try:
            payload = pickle.dumps(("value", fn(*args)))
        except (MemoryError, RecursionError):
            payload = pickle.dumps(("over", "the memory revise allows"))
        except Exception as exc:  # noqa: BLE001 - handed to the parent, which re-raises it
            try:
                payload = pickle.dumps(("error", exc))
            except Exception:  # noqa: BLE001 - an exception that does not pickle
                payload = pickle.dumps(("error", RuntimeError(repr(exc))))
        view = memoryview(payload)
        while view:
            view = view[os.write(write_end, view) :]
    except BaseException:  # noqa: BLE001 - the child must never return into the parent's code
        code = _FAILED
    finally:
        os._exit(code)


def _lower(which: int, limit: int) -> None:
    """Set a resource limit to `limit`, or keep the one in force when it is lower already
    (a worker inside a worker: a limit can only go down)."""
    import resource

    soft, hard = resource.getrlimit(which)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft != resource.RLIM_INFINITY:
        limit = min(limit, soft)
    resource.setrlimit(which, (limit, limit if which != resource.RLIMIT_CPU else hard))


def _mapped_bytes() -> int | None:
    """The address space this process maps now (Linux), so the limit is on what it adds."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _read_all(fd: int, pid: int, wall_seconds: float) -> bytes:
    """Everything the child writes, or what came before it was killed at `wall_seconds`."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + wall_seconds
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            return b""
        ready, _, _ = select.select([fd], [], [], left)
        if not ready:
            continue
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
