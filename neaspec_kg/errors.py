"""Errors that carry what an editor of the data needs: which file, which line, what is wrong."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class NeaspecKgError(Exception):
    """Base class: everything the library raises on purpose."""


@dataclass
class SourceLocation:
    file: Path
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = str(self.file)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where


class DataSyntaxError(NeaspecKgError):
    """A Turtle/TriG file does not parse."""

    def __init__(self, location: SourceLocation, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: syntax error: {message}")


class ProvenanceError(NeaspecKgError):
    """A data file states a fact outside the named graph of a catalogued source."""

    def __init__(self, location: SourceLocation, message: str) -> None:
        self.location = location
        self.message = message
        super().__init__(f"{location}: {message}")


@dataclass
class Violation:
    """One SHACL result, with the data file(s) where its focus node is described."""

    focus_node: str
    path: str | None
    message: str
    severity: str
    value: str | None = None
    shape: str | None = None
    locations: list[SourceLocation] = field(default_factory=list)

    def __str__(self) -> str:
        where = ", ".join(str(loc) for loc in self.locations) or "(no data file describes it)"
        path = f" path {self.path}" if self.path else ""
        value = f" value {self.value}" if self.value else ""
        return f"{where}: {self.severity}: {self.focus_node}{path}{value}: {self.message}"


class ValidationError(NeaspecKgError):
    """The graph does not conform to ontology/shapes.ttl; nothing of it may be served."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        lines = "\n".join(f"  {v}" for v in violations[:50])
        more = f"\n  ... and {len(violations) - 50} more" if len(violations) > 50 else ""
        super().__init__(f"the graph does not conform to its shapes ({len(violations)} violations):\n{lines}{more}")
