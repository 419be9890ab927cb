"""Reading crmsync.yaml: YAML -> Mapping, with errors that name the file, line and entry path."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .base import did_you_mean
from .models import CrossReferenceError, Loc, Mapping
from .resolvers import import_resolver

# libyaml's safe loader when PyYAML was built with it: a sync reads the mapping in every step, and the
# pure-Python loader took about 0.1 s per read (0.5 s on a busy machine), a tenth of a quiet sync
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# A sync reads the same mapping file in nearly every step (~20 times; ~10-40 ms each to compose, validate
# and import resolvers). The parse is a function of the file's text alone (no environment, no other file),
# so valid mappings are kept by their text: an edited file has other text and is parsed afresh, whatever
# its times or size. Each caller gets its own deep copy, so a caller changing its Mapping changes no
# other's. Errors are not kept (their message names the file they came from).
_PARSED_KEPT = 8
_parsed: OrderedDict[tuple[str, bool], Mapping] = OrderedDict()
_parsed_lock = threading.Lock()


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the mapping file."""

    entry: str  # e.g. objects.contacts.fields[3].direction ('' for the whole file)
    message: str
    line: int | None = None  # 1-based, when known

    def __str__(self) -> str:
        where = f"line {self.line}, " if self.line else ""
        return f"{where}{self.entry or '(top level)'}: {self.message}"


class MappingError(ValueError):
    """The mapping file cannot be used; `problems` lists every entry at fault."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = problems
        if len(problems) == 1:
            p = problems[0]
            text = f"{source}:{p.line}: " if p.line else f"{source}: "
            text += f"{p.entry}: {p.message}" if p.entry else p.message
        else:
            text = f"{source}: {len(problems)} problems:\n" + "\n".join(f"  {p}" for p in problems)
        super().__init__(text)


def load_mapping(path: str | Path, *, check_resolvers: bool = True) -> Mapping:
    """Read and validate a mapping file. Raises MappingError naming the file, line and entry."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise MappingError(
            str(path), [Problem("", f"cannot read the mapping file: {err.strerror}")]
        ) from None
    return parse_mapping(text, source=str(path), check_resolvers=check_resolvers)


def parse_mapping(text: str, *, source: str = "<mapping>", check_resolvers: bool = True) -> Mapping:
    """Validate mapping-file text (what load_mapping does after reading the file)."""
    key = (text, check_resolvers)
    with _parsed_lock:
        kept = _parsed.get(key)
        if kept is not None:
            _parsed.move_to_end(key)
    if kept is None:
        kept = _parse(text, source, check_resolvers)
        with _parsed_lock:
            _parsed[key] = kept
            while len(_parsed) > _PARSED_KEPT:
                _parsed.popitem(last=False)
    return copy.deepcopy(kept)


def _parse(text: str, source: str, check_resolvers: bool) -> Mapping:
    try:
        root = yaml.compose(text, Loader=SAFE_LOADER)
        data = yaml.load(text, Loader=SAFE_LOADER)  # noqa: S506 - a safe loader (libyaml's when built)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        line = mark.line + 1 if mark else None
        problem = getattr(err, "problem", None) or str(err)
        raise MappingError(source, [Problem("", f"YAML syntax error: {problem}", line)]) from None
    duplicates = _duplicate_keys(root, ())
    if duplicates:
        raise MappingError(source, duplicates)
    if not isinstance(data, dict):
        raise MappingError(source, [Problem("", "the mapping file should be a YAML mapping with 'objects:'")])
    try:
        mapping = Mapping.model_validate(data)
    except ValidationError as err:
        raise MappingError(source, _problems(err, root)) from None
    if check_resolvers:
        problems = _resolver_problems(mapping, root)
        if problems:
            raise MappingError(source, problems)
    return mapping


def format_entry(loc: Loc) -> str:
    """('objects', 'contacts', 'fields', 3, 'direction') -> 'objects.contacts.fields[3].direction'."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problems(err: ValidationError, root: yaml.Node | None) -> list[Problem]:
    problems: list[Problem] = []
    for error in err.errors():
        loc = tuple(error["loc"])
        cause = (error.get("ctx") or {}).get("error")
        if isinstance(cause, CrossReferenceError):
            problems += [Problem(format_entry(at), msg, _line(root, at)) for at, msg in cause.problems]
            continue
        problems.append(Problem(format_entry(loc), _message(error, loc), _line(root, loc)))
    return problems


def _message(error: Any, loc: Loc) -> str:
    kind, ctx, given = error["type"], error.get("ctx") or {}, error.get("input")
    if kind == "enum" or kind == "literal_error":
        expected = [e.strip(" '") for e in ctx.get("expected", "").replace(" or ", ", ").split(",")]
        noun = loc[-1] if loc and isinstance(loc[-1], str) else "value"
        return f"unknown {noun} '{given}'; expected one of: {', '.join(expected)}{did_you_mean(str(given), expected)}"
    if kind == "missing":
        return f"'{loc[-1]}' is required here" if loc else "a required entry is missing"
    if kind == "extra_forbidden":
        return f"unknown key '{loc[-1]}'"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(given, dict | list) or given is None:
        return message
    return f"{message} (got {given!r})"


def _line(root: yaml.Node | None, loc: Loc) -> int | None:
    """The 1-based line of the deepest YAML node the entry path reaches."""
    node, line = root, None
    for part in loc:
        if node is None:
            break
        line = node.start_mark.line + 1
        node = _child(node, part)
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _child(node: yaml.Node, part: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None


def _duplicate_keys(node: yaml.Node | None, loc: Loc) -> list[Problem]:
    problems: list[Problem] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if key.value in seen:
                problems.append(
                    Problem(
                        format_entry((*loc, key.value)),
                        "key given twice (YAML keeps only the last one)",
                        key.start_mark.line + 1,
                    )
                )
            seen.add(key.value)
            problems += _duplicate_keys(value, (*loc, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            problems += _duplicate_keys(item, (*loc, i))
    return problems


def _resolver_problems(mapping: Mapping, root: yaml.Node | None) -> list[Problem]:
    problems = []
    for name, pair in mapping.objects.items():
        for i, mapped in enumerate(pair.fields):
            if mapped.resolver:
                try:
                    import_resolver(mapped.resolver)
                except (ImportError, AttributeError, TypeError, ValueError) as err:
                    loc = ("objects", name, "fields", i, "resolver")
                    problems.append(
                        Problem(
                            format_entry(loc),
                            f"cannot load resolver '{mapped.resolver}': {err}",
                            _line(root, loc),
                        )
                    )
    return problems
