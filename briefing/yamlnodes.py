"""Typed reading of YAML with line numbers, shared by site.yaml and front matter."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

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
        try:
            return _constructor.construct_object(self.node, deep=True)
        finally:  # the constructor remembers every node it made until a document ends: forget them
            _constructor.constructed_objects.clear()
            _constructor.recursive_objects.clear()


_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it


def compose(text: str, path: str, problems: Problems, line_offset: int = 0) -> Node | None:
    """Parse YAML into nodes; a syntax error becomes a located problem."""
    try:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:  # say what is wrong in the words of the reference parser
            node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + 1 + line_offset) if mark else None
        problems.error(Location(path, line), f"invalid YAML: {exc.problem or exc}; check indentation, colons and quotes")
        return None
    except yaml.YAMLError as exc:
        problems.error(Location(path, line_offset + 1 if line_offset else None), f"invalid YAML: {exc}")
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


def scalar(node: Node, kind: type | tuple[type, ...], problems: Problems, what: str) -> Any:
    """A scalar of the expected type, or None after reporting a problem."""
    if not isinstance(node.node, yaml.ScalarNode):
        problems.error(node.location, f"`{what}` must be {_type_name(kind)}, not a list or mapping")
        return None
    value = node.value()
    if kind is str and isinstance(value, (int, float, dt.date)) and not isinstance(value, bool):
        value = str(node.node.value)  # e.g. `date: 2024` or a bare number as a title
    if not isinstance(value, kind) or (isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,))):
        problems.error(node.location, f"`{what}` must be {_type_name(kind)}, got {value!r}")
        return None
    return value


def _type_name(kind: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "a whole number", bool: "true or false", dt.date: "a date (YYYY-MM-DD)", list: "a list"}
    if isinstance(kind, tuple):
        return " or ".join(names.get(k, k.__name__) for k in kind)
    return names.get(kind, kind.__name__)
