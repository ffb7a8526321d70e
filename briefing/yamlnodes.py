"""Typed reading of YAML with line numbers, shared by site.yaml and front matter."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Callable

import yaml

from .errors import Location, Problems

_constructor = yaml.SafeLoader("")


@dataclass(frozen=True)
class Node:
    """A YAML node with the file it came from, so every value can report its own line."""

    node: yaml.Node
    path: str
    line_offset: int = 0

    @property
    def location(self) -> Location:
        return Location(self.path, self.node.start_mark.line + 1 + self.line_offset)

    def value(self) -> Any:
        """The Python value of the node (str, int, float, bool, date, datetime, list, dict or None).

        Raises Unreadable, saying why, for a value YAML itself cannot make: an unknown tag
        (`!foo`), an explicit tag its text does not fit (`!!int abc`), a day that does not exist
        (`2024-02-30`), a number of thousands of digits, a list that contains itself."""
        tag = self.node.tag
        if not tag.startswith(STANDARD_TAG):
            raise Unreadable(f"the tag `{tag}` is not one this file may use; remove it")
        try:
            return _constructor.construct_object(self.node, deep=True)
        except RecursionError:
            raise Unreadable("the value refers to itself through an alias; write it out") from None
        except (yaml.YAMLError, ValueError, TypeError, OverflowError, AttributeError, LookupError) as exc:
            raise Unreadable(_unreadable_reason(self.node, exc)) from None
        finally:  # the constructor remembers every node it made until a document ends: forget them
            _constructor.constructed_objects.clear()
            _constructor.recursive_objects.clear()


STANDARD_TAG = "tag:yaml.org,2002:"
_SCALAR_KINDS = {"int": "a whole number", "float": "a number", "bool": "true or false", "timestamp": "a date",
                 "null": "empty", "str": "text", "binary": "base64 data"}


class Unreadable(ValueError):
    """A YAML value that PyYAML cannot construct; the message says why, for the author."""


def _unreadable_reason(node: yaml.Node, exc: Exception) -> str:
    kind = node.tag.removeprefix(STANDARD_TAG)
    if isinstance(node, yaml.ScalarNode):
        if kind == "timestamp":
            return f"{show(node.value)} is not a real date or time"
        if kind == "int" and "digits" in str(exc):
            return f"the number has {len(node.value)} digits, too many to be meant"
        return f"{show(node.value)} cannot be read as {_SCALAR_KINDS.get(kind, '!!' + kind)}"
    return f"a `!!{kind}` value cannot be used here; remove the tag"


def show(text: str, limit: int = 40) -> str:
    """A value as a message shows it: quoted, escaped, at most `limit` characters."""
    return repr(text if len(text) <= limit else text[:limit] + "…")


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def compose(text: str, path: str, problems: Problems, line_offset: int = 0) -> Node | None:
    """Parse YAML into nodes; a syntax error becomes a located problem."""
    try:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except (yaml.YAMLError, RecursionError):  # say what is wrong in the words of the reference parser
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        problems.error(Location(path, line), f"invalid YAML: {exc.problem or exc}; check indentation, colons and quotes")
        return None
    except yaml.reader.ReaderError as exc:  # a control character: the reader knows its offset, not its line
        line = text.count("\n", 0, exc.position) + 1 + line_offset
        character = chr(exc.character) if isinstance(exc.character, int) else exc.character
        problems.error(Location(path, line), f"invalid YAML: the control character {character!r} is not allowed; "
                                             "remove it, or write it as an escape such as \\t inside double quotes")
        return None
    except yaml.YAMLError as exc:
        problems.error(Location(path, line_offset + 1 if line_offset else None), f"invalid YAML: {exc}")
        return None
    except RecursionError:
        problems.error(Location(path, line_offset + 1 if line_offset else None), "invalid YAML: lists or mappings nested too deeply; flatten them")
        return None
    if node is None:
        return None
    return Node(node, path, line_offset)


@dataclass(frozen=True)
class Fields:
    """The keys of a YAML mapping, each with its own location and value node."""

    what: str
    keys: dict[str, Location]
    values: dict[str, Node]

    def get(self, name: str) -> Node | None:
        return self.values.get(name)

    def unknown(self, allowed: tuple[str, ...]) -> list[tuple[str, Location]]:
        return [(name, loc) for name, loc in self.keys.items() if name not in allowed]


def mapping(node: Node, problems: Problems, what: str) -> Fields | None:
    """Read a mapping node; duplicate keys are errors (PyYAML silently keeps the last)."""
    if not isinstance(node.node, yaml.MappingNode):
        problems.error(node.location, f"{what} must be a mapping of `key: value` lines")
        return None
    keys: dict[str, Location] = {}
    values: dict[str, Node] = {}
    for key_node, value_node in node.node.value:
        key = Node(key_node, node.path, node.line_offset)
        if not isinstance(key_node, yaml.ScalarNode):
            problems.error(key.location, f"{what}: keys must be plain names")
            continue
        name = str(key_node.value)
        if name in keys:
            problems.error(key.location, f"{what}: duplicate key `{name}`; keep only one")
            continue
        keys[name] = key.location
        values[name] = Node(value_node, node.path, node.line_offset)
    return Fields(what, keys, values)


def sequence(node: Node, problems: Problems, what: str) -> list[Node] | None:
    if not isinstance(node.node, yaml.SequenceNode):
        problems.error(node.location, f"`{what}` must be a list")
        return None
    return [Node(item, node.path, node.line_offset) for item in node.node.value]


YAML11_BOOLEANS = frozenset({"yes", "no", "on", "off", "true", "false"})  # what PyYAML (YAML 1.1) reads as true/false


def scalar(node: Node, kind: type | tuple[type, ...], problems: Problems, what: str) -> Any:
    """A scalar of the expected type, or None after reporting a problem.

    A string key takes numbers and dates as written (`date: 2024` is the text "2024"), but not a
    YAML 1.1 true/false (`title: no`), which is named as the surprise it is."""
    if not isinstance(node.node, yaml.ScalarNode):
        problems.error(node.location, f"`{what}` must be {_type_name(kind)}, not a list or mapping")
        return None
    kinds = kind if isinstance(kind, tuple) else (kind,)
    raw = str(node.node.value)
    tag = node.node.tag.removeprefix(STANDARD_TAG)
    if str in kinds and tag in ("float", "timestamp") or (str in kinds and int not in kinds and tag == "int"):
        value: Any = raw  # e.g. `date: 2024-13-01`, `date: 2024` or a bare number as a title
    else:
        try:
            value = node.value()
        except Unreadable as exc:
            problems.error(node.location, f"`{what}` must be {_type_name(kind)}; {exc}")
            return None
    if isinstance(value, bool) and bool not in kinds and raw.lower() in YAML11_BOOLEANS:
        problems.error(node.location, f"`{what}`: `{raw}` was read as {str(value).lower()}; quote it: \"{raw}\"")
        return None
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
        problems.error(node.location, f"`{what}` must be {_type_name(kind)}, got {_show_value(value)}")
        return None
    if isinstance(value, str) and not _is_text(value):
        problems.error(node.location, f"`{what}` contains a lone surrogate (a \\u escape between D800 and DFFF), which is not text; remove it")
        return None
    return value


def _show_value(value: Any) -> str:
    return show(value) if isinstance(value, str) else repr(value)[:60]


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# -- schemas: every key a mapping may hold, declared once -----------------------------------------
Reader = Callable[[Node, Problems, str], Any]  # (value node, problems, key name) -> the value, or None after a problem


@dataclass(frozen=True)
class Key:
    """One key a YAML mapping may hold: its name, how its value is read and checked (`read`
    returns the value, or None after reporting a problem), whether it must be there, and the
    value it has when absent or empty."""

    name: str
    read: Reader
    required: bool = False
    default: Any = None
    missing: str | None = None  # the message when a required key is left out, if not the schema's


@dataclass(frozen=True)
class Schema:
    """Every key of one kind of YAML mapping (site.yaml, a source, front matter). Adding a key is
    one more `Key` line; the tests feed every declared key every kind of YAML value.

    `unknown` and `missing` are the messages for a key not declared (formatted with {key} and
    {allowed}) and a required key left out ({key}); `unknown_warns` makes the first a warning."""

    keys: tuple[Key, ...]
    unknown: str
    missing: str
    unknown_warns: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    def read(self, node: Node, problems: Problems, what: str) -> "Values | None":
        """Read every declared key of the mapping `node`; report unknown, missing and ill-typed
        keys, all of them. None when `node` is not a mapping."""
        fields = mapping(node, problems, what)
        if fields is None:
            return None
        names = self.names
        for name, loc in fields.unknown(names):
            message = self.unknown.format(key=name, allowed=", ".join(names))
            (problems.warn if self.unknown_warns else problems.error)(loc, message)
        present = {key.name: fields.get(key.name) for key in self.keys}
        present = {name: value_node for name, value_node in present.items() if value_node is not None and not _is_null(value_node)}
        for key in self.keys:
            if key.required and key.name not in present:
                where = fields.values[key.name].location if key.name in fields.values else node.location
                problems.error(where, (key.missing or self.missing).format(key=key.name))
        values: dict[str, Any] = {}
        for key in self.keys:
            value = key.read(present[key.name], problems, key.name) if key.name in present else None
            values[key.name] = key.default if value is None else value
        return Values(values, fields, node)


def _is_null(node: Node) -> bool:
    return isinstance(node.node, yaml.ScalarNode) and node.node.tag == STANDARD_TAG + "null"


@dataclass(frozen=True)
class Values:
    """The values a Schema read, by key (absent keys at their default), and where each was written."""

    values: dict[str, Any]
    fields: Fields
    node: Node

    def __getitem__(self, name: str) -> Any:
        return self.values[name]

    def location(self, name: str) -> Location:
        """Where the key's value was written; the mapping's own location when it is absent."""
        return self.fields.values[name].location if name in self.fields.values else self.node.location


def text(node: Node, problems: Problems, what: str) -> str | None:
    """A string that is not blank."""
    value = scalar(node, str, problems, what)
    if value is not None and not value.strip():
        problems.error(node.location, f"`{what}` must not be empty")
        return None
    return value


def optional_text(node: Node, problems: Problems, what: str) -> str | None:
    """A string, possibly blank."""
    return scalar(node, str, problems, what)


def flag(node: Node, problems: Problems, what: str) -> bool | None:
    """true or false."""
    return scalar(node, bool, problems, what)


WHOLE_NUMBER_LIMIT = 10**9


def whole_number(node: Node, problems: Problems, what: str) -> int | None:
    """An int between -10**9 and 10**9."""
    value = scalar(node, int, problems, what)
    if value is not None and abs(value) > WHOLE_NUMBER_LIMIT:
        problems.error(node.location, f"`{what}` must be a whole number between -{WHOLE_NUMBER_LIMIT:,} and {WHOLE_NUMBER_LIMIT:,}; use a smaller one")
        return None
    return value


def day(node: Node, problems: Problems, what: str) -> dt.date | None:
    """A date; a date with a time of day gives its day."""
    value = scalar(node, dt.date, problems, what)
    return value.date() if isinstance(value, dt.datetime) else value


def items(node: Node, problems: Problems, what: str) -> list[Node] | None:
    """A list, as its item nodes (each read by the caller)."""
    return sequence(node, problems, what)


def checked(read: Reader, check: Callable[[Any, Node, Problems, str], Any]) -> Reader:
    """`read`, then `check(value, node, problems, key)`, which returns the value to keep or None after a problem."""
    def reader(node: Node, problems: Problems, what: str) -> Any:
        value = read(node, problems, what)
        return None if value is None else check(value, node, problems, what)
    return reader


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", dt.date: "a date (YYYY-MM-DD)", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)
