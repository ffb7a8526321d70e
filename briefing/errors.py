"""Problems with locations: every stage reports through these, and the build fails once with all."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def printable(text: str) -> str:
    """`text` with control characters, line separators and lone surrogates escaped (`\\n`, `\\x1b`),
    so a file name cannot split a report into lines that look like other problems."""
    return _UNPRINTABLE.sub(lambda match: repr(match[0])[1:-1], text)


@dataclass(frozen=True)
class Location:
    """Where something came from: a project-relative path and an optional 1-based line."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path


@dataclass(frozen=True)
class Problem:
    location: Location
    message: str
    warning: bool = False

    def __str__(self) -> str:
        kind = "warning: " if self.warning else ""
        return printable(f"{self.location}: {kind}{self.message}")


class BuildError(Exception):
    """A user's mistake (or several): reported as `path:line: message` lines, never a traceback."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    def __reduce__(self):  # so a worker process can hand it back
        return (BuildError, (self.problems,))


@dataclass
class Problems:
    """Collects problems while a stage runs, so the author sees them all at once."""

    items: list[Problem] = field(default_factory=list)

    def error(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, message))

    def warn(self, location: Location, message: str) -> None:
        self.items.append(Problem(location, message, warning=True))

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.items if not p.warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.items if p.warning]

    def check(self, strict: bool = False) -> None:
        """Raise BuildError if there is any error (or, when strict, any warning)."""
        failing = self.items if strict else self.errors
        if failing:
            raise BuildError(sorted(self.items, key=_order))


def _order(problem: Problem) -> tuple[str, int]:
    return (problem.location.path, problem.location.line or 0)


def relative_name(path: Path, root: Path) -> str:
    """A path as the author knows it: relative to the project root when inside it."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)
