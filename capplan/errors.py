"""Every error capplan raises on purpose: one family under :class:`CapplanError`.

The bottom layer: imports nothing from capplan, so any module may raise these. A caller
catches ``CapplanError`` for "capplan refused this" and lets anything else (a bug) through;
the command line turns the family into exit code 2. Each class keeps the built-in base it
had before the family existed (``Unattainable`` is still a ``ValueError``, ``UnknownName``
a ``LookupError``), so code written against those keeps working.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from enum import IntEnum
from typing import NamedTuple

#: A key path in a topology, e.g. ("tiers", 2, "node", "capacity_rps").
KeyPath = tuple[str | int, ...]

#: The file name of problems found in a topology built in Python (``model_validate``, or
#: ``Topology(**data)``): there is no file, so every problem sits at line 0, column 0.
NO_FILE = "<dict>"


class ExitCode(IntEnum):
    """The exit-code contract (SPEC §3), in one place: the CLI and the gate both use it."""

    OK = 0
    POLICY_FAILED = 1  # `check`: a tier does not hold its policy
    INVALID = 2  # unreadable or invalid input, usage errors, output that cannot be written


class CapplanError(Exception):
    """Base of every error capplan raises on purpose; the CLI's exit code 2."""


class Problem(NamedTuple):
    """One located problem in an input file; problems sort by file, line and column.

    A NamedTuple, not a dataclass: the same fields, order, equality, hash and repr, and a
    fifth of the cost to create at start-up (every command imports this module).
    """

    file: str
    line: int
    column: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.message}"


class InvalidInput(CapplanError):
    """Input that cannot be planned; ``problems`` holds one located line each."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class Unattainable(CapplanError, ValueError):
    """No tier size holds the policy (a target that more nodes never reach).

    *path* is the key path of the tier in the file, once the sizing knows it. A plan
    raises the first tier's in file order; *also* holds the other tiers' (as a linter
    reports every finding, not the first), each with its own path.
    """

    def __init__(self, message: str, path: KeyPath = ()) -> None:
        super().__init__(message)
        self.path = path
        self.also: tuple[Unattainable, ...] = ()

    def every(self) -> tuple[Unattainable, ...]:
        """The first tier's refusal, then the others' (*also*), in file order."""
        return (self, *self.also)


class TooMany(Unattainable):
    """Holding the policy would take more nodes than a tier may have (MAX_NODES)."""


class SearchStopped(Unattainable):
    """A walk over counts that are not monotone went as far as it may without finding one.

    Not a proof that no count holds: the message says where the search stopped.
    """

    def __init__(self, message: str, first: int, last: int,
                 path: tuple[str | int, ...] = ()) -> None:
        super().__init__(message, path)
        self.first = first
        self.last = last


class OutputError(CapplanError):
    """The output file cannot be written; the message says why."""


class UnknownName(CapplanError, LookupError):
    """A tier, node or zone name that the topology does not have."""


class TooManySets(CapplanError, ValueError):
    """``failover --all`` on a tier with more failure sets than it lists."""


class InvalidArgument(CapplanError, ValueError):
    """An argument to a library function that capplan refuses (the CLI's usage error)."""


class SourceUnavailable(CapplanError):
    """A live source (a Prometheus server) could not be asked or did not answer; says why."""


@contextmanager
def reading(name: str, kind: str) -> Iterator[None]:
    """Turn a file that cannot be opened or read into InvalidInput at its line 1.

    *kind* names what the file should have been ("a topology file", "a CSV file"), for a
    folder given where a file was expected.
    """
    try:
        yield
    except IsADirectoryError:
        raise InvalidInput([Problem(name, 1, 1, f"is a directory, not {kind}")]) from None
    except FileNotFoundError:
        raise InvalidInput([Problem(name, 1, 1, "no such file")]) from None
    except OSError as error:
        raise InvalidInput([Problem(name, 1, 1, f"cannot read: {error.strerror}")]) from None


def did_you_mean(typed: str, choices: Iterable[str]) -> str:
    """" (did you mean 'cost'?)" for the choice closest to *typed*, or "" if none is close.

    The one wording of a suggestion in messages about names (keys, schemes, targets,
    tiers, expressions), so they all read alike.
    """
    from difflib import get_close_matches

    close = get_close_matches(typed, list(choices), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
