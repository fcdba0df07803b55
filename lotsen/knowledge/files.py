"""Reading one knowledge file into a validated model, with errors an editor can act on.

Every problem is reported as `path:line: what is wrong`, including schema errors: the
YAML is composed into nodes (which know their lines) and built from them in one pass, so
a pydantic error location (`answers.ar.2`) can be turned back into the line it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

MAX_FILE_BYTES = 256 * 1024  # a knowledge file is a few KB; anything this big is a mistake

Model = TypeVar("Model", bound=BaseModel)
# libyaml's parser when PyYAML has it (it does in the wheels we install): 10× faster.
Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class KnowledgeError(Exception):
    """A knowledge file that cannot be used; the message names the file, line and problem."""


def _line_of(node: yaml.Node | None, location: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the YAML node at a pydantic error location, as deep as it goes."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in location:
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
            if child is None:
                key_node = next((key for key, _ in node.value if key.value == str(part)), None)
                return key_node.start_mark.line + 1 if key_node is not None else line
            node = child
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
        else:
            break
        line = node.start_mark.line + 1
    return line


def describe(exc: ValidationError, root: yaml.Node | None, where: str) -> list[str]:
    """One `file:line: field: message` per pydantic error."""
    problems = []
    for error in exc.errors():
        location = tuple(error["loc"])
        line = _line_of(root, location)
        field = ".".join(str(p) for p in location) or "(file)"
        message = str(error["msg"]).removeprefix("Value error, ")
        problems.append(f"{where}:{line}: {field}: {message}" if line else f"{where}: {field}: {message}")
    return problems


def parse_text(text: str, model: type[Model], where: str) -> Model:
    """Validate YAML text as `model`; `where` names the file in messages."""
    try:
        loader = Loader(text)
        try:
            root = loader.get_single_node()
            raw: Any = loader.construct_document(root) if root is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        at = f"{where}:{mark.line + 1}" if mark else where
        raise KnowledgeError(f"{at}: not valid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise KnowledgeError(f"{where}: not valid YAML: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise KnowledgeError("\n".join(describe(exc, root, where))) from exc


def read_text(path: Path) -> str:
    """The file's text, refusing oversized files before reading them."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise KnowledgeError(f"{path}: file is {size:,} bytes; a knowledge file may be at most {MAX_FILE_BYTES:,}")
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KnowledgeError(f"{path}: cannot read: {exc}") from exc


def load_file(path: Path, model: type[Model]) -> Model:
    """Parse and validate one knowledge file."""
    return parse_text(read_text(path), model, str(path))
