"""Read YAML while keeping the line of every value, so that errors can name ``FILE:LINE``.

A questionnaire file may come from anyone, so reading one is bounded in time and memory: files over
``MAX_FILE_BYTES`` are refused unread, and the document is built from the parser's events (never
recursively) refusing aliases (``*name``: none of the shipped files needs one, and they are what
makes self-referencing documents and "billion laughs" expansion bombs), nesting deeper than
``MAX_DEPTH`` and more than ``MAX_NODES`` values. Each refusal is a problem at its line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

try:  # libyaml is about ten times faster; PyYAML's wheels ship it
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # a PyYAML built without libyaml
    from yaml import SafeLoader

Path_ = tuple[str | int, ...]

#: The largest file read (the largest shipped file is about 0.5 MB).
MAX_FILE_BYTES = 5_000_000
#: How deep mappings and lists may nest (the shipped files go 10 deep).
MAX_DEPTH = 50
#: How many values (keys, scalars, mappings, lists) a file may hold (the largest shipped: 14,519).
MAX_NODES = 200_000


@dataclass(frozen=True)
class Problem:
    """One validation error, printed as ``FILE:LINE: dotted.path: message``."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.path or '(file)'}: {self.message}"


def dotted(path: Path_) -> str:
    """Return ``("sections", 2, "id")`` as ``sections.2.id``."""
    return ".".join(str(part) for part in path)


@dataclass
class SourceFile:
    """A parsed YAML file: its data and the line of every path in it."""

    name: str
    data: Any = None
    lines: dict[Path_, int] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def line_of(self, path: Path_) -> int:
        """Return the line of ``path``, or of its closest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return 1

    def problem(self, path: Path_, message: str) -> Problem:
        """Return a problem located at ``path`` in this file."""
        return Problem(self.name, self.line_of(path), dotted(path), message)


def read(path: Path, display_name: str | None = None) -> SourceFile:
    """Parse ``path``; syntax errors and duplicate keys become problems, never exceptions."""
    source = SourceFile(display_name or str(path))
    try:
        with path.open("rb") as stream:
            content = stream.read(MAX_FILE_BYTES + 1)  # no more, whatever stat said
        if len(content) > MAX_FILE_BYTES:
            source.problems.append(_too_large(source, max(path.stat().st_size, len(content))))
            return source
        text = content.decode("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        source.problems.append(Problem(source.name, 1, "", f"cannot read the file: {error}"))
        return source
    return parse(text, source)


def _too_large(source: SourceFile, size: int) -> Problem:
    return Problem(
        source.name,
        1,
        "",
        f"the file is too large ({size / 1_000_000:.1f} MB; at most "
        f"{MAX_FILE_BYTES / 1_000_000:g} MB)",
    )


class _Refused(Exception):
    """The document uses what reading it refuses; ``line`` is where."""

    def __init__(self, line: int, message: str):
        super().__init__(message)
        self.line = line
        self.message = message


def parse(text: str, source: SourceFile) -> SourceFile:
    """Parse YAML ``text`` into ``source``."""
    if len(text) > MAX_FILE_BYTES:
        source.problems.append(_too_large(source, len(text.encode("utf-8"))))
        return source
    try:
        loader = SafeLoader(text)
        try:
            node = _compose(loader)
            if node is None:
                source.problems.append(Problem(source.name, 1, "", "the file is empty"))
                return source
            _index(node, (), source)
            source.data = loader.construct_document(node)
        finally:
            loader.dispose()
    except _Refused as refused:
        source.problems.append(Problem(source.name, refused.line, "", refused.message))
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        source.problems.append(Problem(source.name, line, "", f"YAML syntax error: {message}"))
    except yaml.YAMLError as error:
        source.problems.append(Problem(source.name, 1, "", f"YAML error: {error}"))
    return source


def _compose(loader: Any) -> yaml.Node | None:
    """Return the node of the stream's single document (None if there is none), built from the
    parser's events with a loop and bounded: see the module's documentation."""
    get_event, resolve = loader.get_event, loader.resolve
    get_event()  # the stream's start
    if loader.check_event(yaml.StreamEndEvent):
        return None
    get_event()  # the document's start
    root: yaml.Node | None = None
    parent: Any = None  # the mapping or list being read
    key: yaml.Node | None = None  # the parent mapping's key still waiting for its value
    outer: list[tuple[Any, yaml.Node | None]] = []  # the parents and keys around ``parent``
    count = 0
    while True:
        event = get_event()
        kind = event.__class__
        if kind is yaml.ScalarEvent:
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(yaml.ScalarNode, event.value, event.implicit)
            node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        elif kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            parent.end_mark = event.end_mark
            parent, key = outer.pop()
            continue
        elif kind is yaml.MappingStartEvent or kind is yaml.SequenceStartEvent:
            if len(outer) == MAX_DEPTH:
                line = event.start_mark.line + 1
                raise _Refused(line, f"the data nests more than {MAX_DEPTH} levels deep")
            node_kind = yaml.MappingNode if kind is yaml.MappingStartEvent else yaml.SequenceNode
            tag = event.tag
            if tag is None or tag == "!":
                tag = resolve(node_kind, None, event.implicit)
            node = node_kind(tag, [], event.start_mark, None, flow_style=event.flow_style)
        elif kind is yaml.DocumentEndEvent:
            break
        else:  # an alias: the value of the node anchored ``&name``
            line = event.start_mark.line + 1
            message = f"YAML aliases (*{event.anchor}) are not allowed: write the value out"
            raise _Refused(line, message)
        count += 1
        if count > MAX_NODES:
            line = event.start_mark.line + 1
            raise _Refused(line, f"the file holds more than {MAX_NODES:,} values")
        if parent is None:
            root = node
        elif parent.__class__ is yaml.SequenceNode:
            parent.value.append(node)
        elif key is None:
            key = node
        else:
            parent.value.append((key, node))
            key = None
        if node.__class__ is not yaml.ScalarNode:
            outer.append((parent, key))
            parent, key = node, None
    if not loader.check_event(yaml.StreamEndEvent):
        line = loader.peek_event().start_mark.line + 1
        raise _Refused(line, "the file holds more than one YAML document (---)")
    return root


def _index(node: yaml.Node, path: Path_, source: SourceFile) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue  # a list or mapping as a key: constructing the data refuses it
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key in seen:
                source.problems.append(
                    Problem(
                        source.name,
                        line,
                        dotted((*path, key)),
                        f"duplicate key {key!r} (first at line {seen[key]})",
                    )
                )
                continue
            seen[key] = line
            source.lines[(*path, key)] = line
            _index(value_node, (*path, key), source)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _index(item, (*path, index), source)
