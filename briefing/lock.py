"""One build of a project at a time: builds that overlap (two terminals, an editor's build-on-save
beside the preview) take turns, so the memo only ever records the tree its own build wrote.

The lock is `flock` on `.cache/build.lock` in the project: the system releases it when the
process ends, however it ends, so a killed build never leaves the project locked.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

try:
    import fcntl
except ImportError:  # not a POSIX system: builds are not serialised there
    fcntl = None  # type: ignore[assignment]

WAITING = "waiting for another build of this project to finish"


class ProjectLock:
    """A context manager holding the project's build lock; `say` (if given) hears WAITING once
    when another process holds it. Where the lock file cannot be made (a read-only project),
    the build goes ahead unlocked."""

    def __init__(self, root: Path, say: Callable[[str], None] | None = None):
        self.path = root / ".cache" / "build.lock"
        self.say = say
        self.descriptor: int | None = None

    def __enter__(self) -> "ProjectLock":
        if fcntl is None:
            return self
        try:
            self.path.parent.mkdir(exist_ok=True)
            self.descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError:
            return self
        try:
            fcntl.flock(self.descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if self.say is not None:
                self.say(WAITING)
            fcntl.flock(self.descriptor, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.descriptor is not None:
            os.close(self.descriptor)  # closing releases the lock
            self.descriptor = None
