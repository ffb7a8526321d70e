"""The Jinja environment of a templates/ folder: sandboxed, compiled once per template text (and
kept in the build's memo for a fresh process), what each template can read, and where in
templates/ a rendering failed.
"""
from __future__ import annotations

import functools
import marshal
import traceback
from pathlib import Path

import jinja2
import jinja2.meta
import jinja2.sandbox

from .errors import Location, Problem
from .grading import matrix_row_html
from .memo import Memo


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's bytecode cache (jinja2.BytecodeCache) kept in the build's memo: "template code",
    the marshalled code object of a template by (Jinja's key of its name and file, the sha1 of its
    text). The memo's files are trusted only where this machine's builds wrote them (memo.DiskMemo),
    and are dropped whole when the interpreter or Jinja changes (memo.generator_digest)."""

    memo: Memo  # the build's (Templates.use), set before a template is loaded

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        data = self.memo.find("template code", (bucket.key, bucket.checksum))
        if data is not None:
            bucket.code = marshal.loads(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:  # only called with the code just compiled
        self.memo.store("template code", (bucket.key, bucket.checksum), marshal.dumps(bucket.code))


class Templates:
    """The Jinja environment for one templates/ folder, and what each template can read.

    Kept from build to build, so templates are compiled once, not once per build; a template is
    compiled again when its text changes.
    """

    def __init__(self, directory: Path):
        self.directory = directory
        # Sandboxed: a template from someone else's repository can print values, never call into Python.
        self.env = jinja2.sandbox.SandboxedEnvironment(
            loader=jinja2.FileSystemLoader(str(directory)),
            autoescape=jinja2.select_autoescape(("html", "xml")),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            auto_reload=False,  # checked once per build (`use`), not once per rendered file
        )
        self.env.filters["matrix_row"] = matrix_row_html
        self.env.bytecode_cache = self.code = _CompiledTemplates()
        self.digests: dict[str, str] | None = None  # of the template files the compiled templates were made from
        self._parse_source = functools.lru_cache(maxsize=256)(self._parse_source)  # type: ignore[method-assign]  (per instance)

    def use(self, digests: dict[str, str], memo: Memo) -> None:
        """Start a build whose templates/ files have these digests: compiled templates are kept
        only while no template file changed, and a template's compiled code is a unit of `memo`
        ("template code", by the template's name, file and text), for a fresh process."""
        self.code.memo = memo
        if digests != self.digests:
            self.env.cache.clear()  # type: ignore[union-attr]
            self.digests = dict(digests)

    def reads(self, name: str) -> tuple[frozenset[str] | None, frozenset[str]]:
        """(the variables `name` and the templates it pulls in can read, None for any; those templates' names)."""
        variables: set[str] = set()
        names: set[str] = set()
        pending = [name]
        any_variable = False
        while pending:
            current = pending.pop()
            if current in names:
                continue
            names.add(current)
            parsed = self._parse(current)
            if parsed is None:  # missing or broken: rendering will report it; until then assume the worst
                any_variable = True
                continue
            _, found, referenced = parsed
            variables |= found
            pending.extend(other for other in referenced if other is not None)
            if None in referenced:  # a computed template name: it could be any template
                any_variable = True
                names |= set(self.env.list_templates())
        return (None if any_variable else frozenset(variables)), frozenset(names)

    def attributes(self, name: str, variable: str) -> frozenset[str] | None:
        """The attributes (or constant keys) that `name` and the templates it pulls in read of
        `variable`: `corroboration.pager` gives "pager". None, for any, when one of them uses the
        variable otherwise (hands it on, loops over it, names a key computed) or cannot be read."""
        found: set[str] = set()
        for current in sorted(self.reads(name)[1]):
            parsed = self._parse(current)
            if parsed is None:
                return None
            uses = [node for node in parsed[0].find_all(jinja2.nodes.Name) if node.name == variable]
            reads = [node for node in parsed[0].find_all((jinja2.nodes.Getattr, jinja2.nodes.Getitem))
                     if isinstance(node.node, jinja2.nodes.Name) and node.node.name == variable]
            if len(reads) != len(uses):
                return None
            for node in reads:
                if isinstance(node, jinja2.nodes.Getattr):
                    found.add(node.attr)
                elif isinstance(node.arg, jinja2.nodes.Const) and isinstance(node.arg.value, str):
                    found.add(node.arg.value)
                else:
                    return None
        return frozenset(found)

    def _parse(self, name: str) -> tuple[jinja2.nodes.Template, frozenset[str], tuple[str | None, ...]] | None:
        try:
            source = self.env.loader.get_source(self.env, name)[0]  # type: ignore[union-attr]
        except (jinja2.TemplateNotFound, OSError, UnicodeDecodeError):
            return None
        return self._parse_source(source)

    def _parse_source(self, source: str) -> tuple[jinja2.nodes.Template, frozenset[str], tuple[str | None, ...]] | None:
        try:
            tree = self.env.parse(source)
            return tree, frozenset(jinja2.meta.find_undeclared_variables(tree)), tuple(jinja2.meta.find_referenced_templates(tree))
        except jinja2.TemplateSyntaxError:
            return None


@functools.lru_cache(maxsize=4)
def templates_for(directory: Path) -> Templates:
    """The Templates of a templates/ folder, kept from build to build (the preview's, or a process's few)."""
    return Templates(directory)


def template_problem(exc: Exception, templates_dir: Path) -> Problem:
    """Where in templates/ a rendering failed (the innermost template frame), and why."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        name = exc.name or exc.filename or "?"
        return Problem(Location(f"templates/{name}", exc.lineno), f"template syntax error: {exc.message}; fix the Jinja tag on this line")
    if isinstance(exc, jinja2.TemplateNotFound):
        return Problem(Location(f"templates/{exc.name}"), "template not found; restore it from the default templates/")
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename)
        if path.suffix in (".html", ".xml") and templates_dir.resolve() in path.resolve().parents:
            name = path.resolve().relative_to(templates_dir.resolve()).as_posix()
            return Problem(Location(f"templates/{name}", frame.lineno), _template_advice(exc))
    return Problem(Location("templates/"), _template_advice(exc))


def _template_advice(exc: Exception) -> str:
    if isinstance(exc, jinja2.sandbox.SecurityError):
        return f"{exc.message or exc}; a template may only print the values it is given (see README: templates)"
    if isinstance(exc, jinja2.UndefinedError):
        return f"{exc}; check the variable name (see README: templates)"
    return f"{type(exc).__name__}: {exc}; fix the expression on this line"
