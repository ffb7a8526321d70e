"""Watching a project's inputs for the preview server: site.yaml, content/, seeds/ and templates/.

Only those are watched, so the build's own output (output/ and its .output.* staging folders,
which lie in the project too) can never trigger a rebuild. Editor litter (swap, backup, lock and
temporary files) is ignored; an atomic save (write a temporary file, rename it over the page)
counts through its destination. Debouncing is the caller's: this reports every relevant event.
"""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path
from typing import Callable

from watchdog.events import (DirCreatedEvent, DirDeletedEvent, DirMovedEvent, FileClosedEvent, FileCreatedEvent,
                             FileDeletedEvent, FileModifiedEvent, FileMovedEvent, FileSystemEvent, FileSystemEventHandler)
from watchdog.observers import Observer

INPUT_FOLDERS = ("content", "seeds", "templates")

# Opening and reading a file (as every build does) is no change; only these are.
CHANGES = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent, FileClosedEvent,
           DirCreatedEvent, DirDeletedEvent, DirMovedEvent]

_LITTER = re.compile(r"""
      \.sw[a-px]$ | \.swpx$  # vim swap files: .x.md.swp, .swo ... .swa, and its probes .swx, .swpx
    | ~$                    # backups: x.md~
    | ^\.\#                 # emacs lock files: .#x.md
    | ^\#.*\#$              # emacs autosaves: #x.md#
    | ^4913$                # vim's probe that it may write in the folder
    | \.(tmp|temp|bak|orig|part|crswap|kate-swp)$
    | ___jb_(tmp|old)___$   # JetBrains safe write
    | ^\.goutputstream-     # GNOME
    | ^sed[A-Za-z0-9]{6}$   # sed -i
    | ^\.DS_Store$ | ^Thumbs\.db$
""", re.VERBOSE | re.IGNORECASE)


def is_editor_litter(name: str) -> bool:
    return bool(_LITTER.search(name))


class InputWatcher(FileSystemEventHandler):
    """Calls `on_change(project-relative path)`, from the watcher's thread, for each change to an input."""

    def __init__(self, root: Path, config_name: str, on_change: Callable[[str], None]):
        self.root = root.resolve()
        self.config_name = config_name
        self.on_change = on_change
        self.observer = Observer()
        self.watches: dict[str, object] = {}
        self.lock = threading.Lock()

    def start(self) -> None:
        # The project folder itself only for site.yaml and the input folders appearing or going:
        # output/ lies inside it, and must not be watched.
        self.observer.schedule(self, str(self.root), recursive=False, event_filter=CHANGES)
        for name in INPUT_FOLDERS:
            self._watch_folder(name)
        self.observer.start()

    def stop(self) -> None:
        self.observer.stop()
        if self.observer.is_alive():
            self.observer.join()

    def on_any_event(self, event: FileSystemEvent) -> None:
        try:
            paths = [os.fsdecode(event.src_path)] + ([os.fsdecode(event.dest_path)] if event.dest_path else [])
            changed = [name for name in map(self._relevant, paths) if name]
            for name in changed:
                if name in INPUT_FOLDERS and event.event_type in ("created", "moved"):
                    self._watch_folder(name)  # a folder created (or moved) into place: watch what is in it
            if changed:
                self.on_change(changed[-1])
        except Exception as exc:  # the watcher thread must survive anything
            print(f"briefing: watching {event.src_path!r} failed: {exc}", flush=True)

    def _relevant(self, path: str) -> str | None:
        """The project-relative name of an input path, or None for anything else."""
        candidate = Path(path)
        if is_editor_litter(candidate.name):
            return None
        try:
            parts = candidate.relative_to(self.root).parts
        except ValueError:
            return None
        if not parts or parts[0] not in (self.config_name, *INPUT_FOLDERS):
            return None
        if parts[0] == self.config_name and len(parts) > 1:
            return None
        return "/".join(parts)

    def _watch_folder(self, name: str) -> None:
        folder = self.root / name
        with self.lock:
            old = self.watches.pop(name, None)
            if old is not None:
                try:
                    self.observer.unschedule(old)  # type: ignore[arg-type]
                except (KeyError, OSError):
                    pass
            if folder.is_dir():
                self.watches[name] = self.observer.schedule(self, str(folder), recursive=True, event_filter=CHANGES, follow_symlink=True)
