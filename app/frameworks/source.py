"""Read YAML while keeping the line of every value, so that errors can name ``FILE:LINE``."""

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
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        source.problems.append(Problem(source.name, 1, "", f"cannot read the file: {error}"))
        return source
    return parse(text, source)


def parse(text: str, source: SourceFile) -> SourceFile:
    """Parse YAML ``text`` into ``source``."""
    try:
        loader = SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                source.problems.append(Problem(source.name, 1, "", "the file is empty"))
                return source
            _index(node, (), source)
            source.data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else 1
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        source.problems.append(Problem(source.name, line, "", f"YAML syntax error: {message}"))
    except yaml.YAMLError as error:
        source.problems.append(Problem(source.name, 1, "", f"YAML error: {error}"))
    return source


def _index(node: yaml.Node, path: Path_, source: SourceFile) -> None:
    source.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, int] = {}
        for key_node, value_node in node.value:
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
