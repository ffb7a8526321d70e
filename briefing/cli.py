"""Command line: argument parsing and exit codes around the one build pipeline."""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
import time
from pathlib import Path

from .config import load_config, where
from .errors import BuildError
from .lock import WAITING


def _common(parser: argparse.ArgumentParser, top: bool = True) -> None:
    # Subcommands accept the same options; SUPPRESS keeps them from overwriting the top-level values.
    default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, default=default(Path("site.yaml")), metavar="PATH", help="site configuration file (default: site.yaml)")
    parser.add_argument("--output", type=Path, default=default(None), metavar="DIR", help="where to write the site (default: output/ beside site.yaml)")
    parser.add_argument("--base-url", default=default(None), metavar="URL", help="public URL of the site, e.g. https://user.github.io/repo/ (overrides site.yaml)")
    parser.add_argument("--strict", action="store_true", default=default(False), help="treat warnings as errors")
    noise = parser.add_mutually_exclusive_group()
    noise.add_argument("--quiet", "-q", action="store_true", default=default(False), help="print only problems")
    noise.add_argument("--verbose", "-v", action="store_true", default=default(False), help="also list every file written")


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="build.py",
        description="Build a source-linked briefing site from site.yaml, seeds/, content/ and templates/.",
        epilog="Without a command, builds the site (same as `build`). Problems are printed as path:line: message; exit status 1.",
    )
    _common(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    _common(commands.add_parser("build", help="build the site into output/ (the default)"), top=False)
    serve = commands.add_parser("serve", help="build, serve on 127.0.0.1 and rebuild + reload the browser on every change")
    _common(serve, top=False)
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1; anything else is reachable from other machines)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    serve.add_argument("--open", action="store_true", help="open the site in the default browser")
    publish = commands.add_parser("publish", help="build with the production base_url and push the site to a gh-pages branch")
    _common(publish, top=False)
    publish.add_argument("--remote", default="origin", help="git remote to push to (default origin)")
    publish.add_argument("--branch", default="gh-pages", help="branch to publish to (default gh-pages)")
    publish.add_argument("--message", default=None, help="commit message (default: names the source commit)")
    add = commands.add_parser(
        "add", help="add a web page, PDF or text file as a source: seed text in seeds/, original kept, entry appended to site.yaml",
        description="Extract the text of a web page (trafilatura) or PDF (pypdf) into seeds/, keep the original beside it "
                    "(never published), and append a source entry with what the document states and its provenance to site.yaml. "
                    "See README.md, \"Adding sources\".",
        epilog="Problems are printed as one line `add: what is wrong; what to do`, exit status 1, with site.yaml and seeds/ untouched.")
    add.add_argument("source", nargs="?", metavar="PATH_OR_URL", help="an .html, .htm, .pdf, .txt or .md file, or an http(s) address of a web page or PDF")
    add.add_argument("--id", metavar="ID", help="the source's id for citations (default: made from the file or page name)")
    add.add_argument("--refresh", metavar="ID", help="extract source ID again from its kept original and list the citations that would no longer match")
    add.add_argument("--write", action="store_true", help="with --refresh: replace the seed with the new text")
    add.add_argument("--config", type=Path, default=argparse.SUPPRESS, metavar="PATH", help="site configuration file (default: site.yaml)")
    check = commands.add_parser("check", help="build, then verify links, anchors, titles and citations as a reader gets them")
    _common(check, top=False)
    return parser


COMMANDS = {"serve": "serve", "publish": "publish", "check": "check"}


def main(argv: list[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    try:
        if args.command == "add":
            from .add import run as run_add

            return run_add(args)
        if args.command in COMMANDS:
            config = load_config(args.config, args.output, args.base_url)
            module = importlib.import_module(f"briefing.{COMMANDS[args.command]}")
            return int(module.run(config, args))
        return run_build(args)
    except BuildError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len([p for p in exc.problems if not p.warning]) or len(exc.problems)
        print(f"build failed: {count} problem(s); the previous output was left as it was", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _say_waiting(stage: str) -> None:
    if stage == WAITING:
        print(f"{WAITING} ...", file=sys.stderr, flush=True)


def run_build(args: argparse.Namespace) -> int:
    """`python build.py`: site.yaml read (a unit of the memo too), the site built with the memo in .cache/."""
    from .memo import DiskMemo
    from .pipeline import build

    started = time.perf_counter()
    # A build is one short process whose objects live until it ends: the cyclic garbage collector
    # would only walk them again and again (about a tenth of a 10,000-page build).
    gc.disable()
    root, name, out = where(args.config, args.output)
    memo = DiskMemo.of(root, out, name)
    config = load_config(args.config, args.output, args.base_url, memo)
    result = build(config, memo, strict=args.strict, jobs=os.cpu_count() or 1, progress=_say_waiting)
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.verbose:
        for name in result.changed:
            print(f"  wrote {name}")
    if not args.quiet:
        counts = result.counts
        what = "up to date" if result.up_to_date else f"built ({len(result.changed)} changed)"
        print(f"{what}: {len(result.files)} files ({counts['pages']} pages, {counts['sources']} sources, "
              f"{counts['citations']} citations) in {config.output_dir}, {time.perf_counter() - started:.2f} s")
    return 0
