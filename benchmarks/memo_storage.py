"""How fast the memo's largest tables load from our marshal shards, against keyed stores on disk.

    python -m benchmarks.synthetic /tmp/big --pages 10000 --sources 2000
    python build.py --config /tmp/big/site.yaml        # leaves the memo in /tmp/big/.cache
    python -m benchmarks.memo_storage /tmp/big/.cache

CACHE_DIR is only read: the memo is copied into a tempfile.TemporaryDirectory, where all files
live. Per large table, four stores: our marshal shards (as DiskMemo._load: stat, read,
marshal.loads, dict.update each); diskcache with MarshalDisk (marshal, never pickle; skipped if
not importable); sqlite3, entries(key BLOB PRIMARY KEY, value BLOB); dbm.gnu, dbm.sqlite3 or
dbm.dumb. Seconds, median of 3 (perf_counter, garbage collector off as in `python build.py`,
files in the OS cache): write every entry in one transaction; open the store and look up every
key / 1 % of them (marshal: load the whole table, then look up); read all; then bytes on disk.
"""
from __future__ import annotations

import contextlib
import gc
import importlib
import marshal
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

try:
    import diskcache
    from diskcache.core import MODE_BINARY, MODE_RAW, UNKNOWN
except ImportError:
    diskcache = None
dbm = None
for _name in ("dbm.dumb", "dbm.sqlite3", "dbm.gnu"):  # the last importable wins
    with contextlib.suppress(ImportError):
        dbm = importlib.import_module(_name)
TABLES = ("record", "page digests", "citation lines", "page outputs", "quoted", "source digests")
RUNS = 3


def key_bytes(key) -> bytes:  # keys are str or tuples; marshal's format 2 has no back-references: equal keys, equal bytes
    return marshal.dumps(key, 2)


def timed(work, prepare=lambda: None) -> float:
    """Median seconds of RUNS runs, the cyclic garbage collector off as in `python build.py` (cli.py)."""
    times = []
    for _ in range(RUNS):
        arg = prepare()
        gc.collect()
        gc.disable()
        started = time.perf_counter()
        work(arg)
        times.append(time.perf_counter() - started)
        gc.enable()
    return statistics.median(times)


class Shards:
    name = "marshal shards (load whole)"
    def __init__(self, paths): self.paths, self.parts = paths, [marshal.loads(path.read_bytes()) for path in paths]
    def write(self, folder, entries):
        for path, part in zip(self.paths, self.parts):
            (folder / path.name).write_bytes(marshal.dumps(part))
    def open(self, folder):  # DiskMemo._load (the copied files: `folder` is the last `write`'s, unused)
        entries: dict = {}
        for path in self.paths:
            os.stat(path)
            entries.update(marshal.loads(path.read_bytes()))
        return entries
    def get(self, entries, key): return entries[key]
    def all(self, entries): return entries
    def close(self, entries): pass


if diskcache is not None:
    class MarshalDisk(diskcache.Disk):
        """Keys as bytes, values as marshal bytes; refuses pickles (unpickling a stranger's cache.db runs its code)."""
        def get(self, key, raw):
            if not raw:
                raise ValueError("pickled key refused")
            return super().get(key, raw)
        def store(self, value, read, key=UNKNOWN): return super().store(value if read else marshal.dumps(value), read, key=key)
        def fetch(self, mode, filename, value, read):
            if mode not in (MODE_RAW, MODE_BINARY):
                raise ValueError("pickled value refused")
            data = super().fetch(mode, filename, value, read)
            return data if read else marshal.loads(data)


class DiskCache:
    name = "diskcache (MarshalDisk)"
    def write(self, folder, entries):
        with self.open(folder) as cache, cache.transact():
            for key, value in entries.items():
                cache.set(key_bytes(key), value)
    def open(self, folder): return diskcache.Cache(str(folder / "cache"), disk=MarshalDisk)
    def get(self, cache, key): return cache.get(key_bytes(key))
    def all(self, cache): return {marshal.loads(key): cache[key] for key in cache.iterkeys()}  # its API has no bulk read
    def close(self, cache): cache.close()


class SQLite:
    name = f"sqlite3 {sqlite3.sqlite_version}"
    def write(self, folder, entries):
        with self.open(folder) as db:  # one transaction, committed on leaving
            db.execute("CREATE TABLE entries(key BLOB PRIMARY KEY, value BLOB)")
            db.executemany("INSERT INTO entries VALUES (?, ?)", ((key_bytes(k), marshal.dumps(v)) for k, v in entries.items()))
        db.close()
    def open(self, folder): return sqlite3.connect(folder / "memo.sqlite")
    def get(self, db, key): return marshal.loads(db.execute("SELECT value FROM entries WHERE key = ?", (key_bytes(key),)).fetchone()[0])
    def all(self, db): return {marshal.loads(k): marshal.loads(v) for k, v in db.execute("SELECT key, value FROM entries")}
    def close(self, db): db.close()


class DBM:
    name = getattr(dbm, "__name__", "dbm")
    def write(self, folder, entries):
        with dbm.open(str(folder / "memo"), "n") as db:
            for key, value in entries.items():
                db[key_bytes(key)] = marshal.dumps(value)
    def open(self, folder): return dbm.open(str(folder / "memo"), "r")
    def get(self, db, key): return marshal.loads(db[key_bytes(key)])
    def all(self, db): return {marshal.loads(key): marshal.loads(db[key]) for key in db.keys()}
    def close(self, db): db.close()


def bench(store, entries: dict, sample: list, tmp: str) -> None:
    folders: list[Path] = []
    write = timed(lambda folder: store.write(folder, entries), lambda: folders.append(Path(tempfile.mkdtemp(dir=tmp))) or folders[-1])
    handle = store.open(folders[-1])  # once, untimed: the store gives back what was put in
    assert store.get(handle, sample[0]) == entries[sample[0]] and store.all(handle) == entries, store.name
    store.close(handle)
    def use(action):
        handle = store.open(folders[-1])
        action(handle)
        store.close(handle)
    every, some, whole = (timed(lambda _: use(lambda handle: [store.get(handle, key) for key in entries])),
                          timed(lambda _: use(lambda handle: [store.get(handle, key) for key in sample])), timed(lambda _: use(store.all)))
    used = store.paths if isinstance(store, Shards) else [path for path in folders[-1].rglob("*") if path.is_file()]
    print(f"  {store.name:<28} {write:9.4f} {every:9.4f} {some:9.4f} {whole:9.4f} {sum(path.stat().st_size for path in used):>12,}")
    for folder in folders:
        shutil.rmtree(folder)


def snapshot(cache_dir: Path, copy: Path) -> Path:
    """A copy of the memo holding every file its first file names (a build may be rewriting it meanwhile)."""
    for _ in range(20):
        shutil.rmtree(copy, ignore_errors=True)
        with contextlib.suppress(OSError, ValueError, EOFError, KeyError, IndexError):  # a file removed while copied, no memo
            first = sorted(Path(shutil.copytree(cache_dir, copy, ignore=shutil.ignore_patterns("*.tmp", "*.lock"))).glob("build-*.marshal"))[0]
            names = {file for shards in marshal.loads(first.read_bytes())["files"].values() for file in shards.values()}
            if all((first.with_suffix("") / name).exists() for name in names):  # a shard file's name is new each time it is written
                return first
    raise SystemExit(f"{cache_dir}: no whole memo could be copied")


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit("usage: python -m benchmarks.memo_storage CACHE_DIR  (a project's .cache/ after a build)")
    cache_dir = Path(sys.argv[1])
    print(f"Python {sys.version.split()[0]} ({sys.platform}); diskcache "
          f"{diskcache.__version__ if diskcache else 'NOT IMPORTABLE: its part is skipped (pip install diskcache)'}; "
          f"dbm: {dbm.__name__ if dbm else 'none available: skipped'}")
    with tempfile.TemporaryDirectory() as tmp:
        first = snapshot(cache_dir, Path(tmp) / "snapshot")
        files = marshal.loads(first.read_bytes())["files"]
        tables = [name for name in TABLES if name in files] or sorted(files, key=lambda name: -sum((first.with_suffix("") / f).stat().st_size for f in files[name].values()))[:6]
        print(f"memo: {cache_dir / first.name} (copied); median of {RUNS} runs, seconds")
        stores = [store for store, present in ((DiskCache(), diskcache), (SQLite(), True), (DBM(), dbm)) if present]
        for name in tables:
            shards = Shards([first.with_suffix("") / file for file in files[name].values()])
            entries = shards.open(None)
            sample = random.Random(0).sample(list(entries), max(1, len(entries) // 100))
            print(f"\n{name!r}: {len(entries):,} entries, {sum(p.stat().st_size for p in shards.paths):,} bytes "
                  f"in {len(shards.paths)} marshal shard files; 1 % = {len(sample)} keys")
            print(f"  {'store':<28} {'write':>9} {'every key':>9} {'1 % keys':>9} {'read all':>9} {'bytes':>12}")
            for store in [shards, *stores]:
                bench(store, entries, sample, tmp)


if __name__ == "__main__":
    main()
