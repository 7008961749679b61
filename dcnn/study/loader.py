"""Reading a study file: YAML (safe, duplicate keys refused) → a validated ``StudyFile``, or one line
naming the file, the key path and what is allowed (``StudyError``, exit code 2). No torch."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .schema import StudyError, StudyFile


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):   # libyaml's parser: ~5x faster
    """yaml.safe_load that rejects duplicate keys instead of silently keeping the last one (YAML's merge
    keys, ``<<: *base``, are merges, not duplicates)."""


MERGE_TAG = "tag:yaml.org,2002:merge"


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        if key_node.tag == MERGE_TAG:    # `<<: *base`: its keys come first, the mapping's own override them
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise StudyError(f"line {key_node.start_mark.line + 1}: duplicate key '{key}' "
                             f"(first at line {seen[key] + 1}); every key, variant name included, must be unique")
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_TYPE_TAGS = {"int", "float", "str", "bool"}  # pydantic names union members in the location


def _format_loc(loc: tuple) -> str:
    """pydantic's error location as the user's key path (its own type tags left out)."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.startswith("function-") or "[" in part or part in _TYPE_TAGS or part == "settings":
            continue            # (a variant's settings are its own keys: see schema.Variant)
        else:
            out += ("." if out else "") + part
    return out or "(top level)"


def one_line_error(err: ValidationError) -> str:
    """pydantic's first error as ``key.path: what is wrong (got value)``."""
    e = err.errors(include_url=False)[0]
    msg = e["msg"]
    if e["type"] in ("missing",):
        msg = "missing required key"
    elif e["type"] not in ("unknown_key", "claim_kind", "claim_params", "profile", "value_error", "range", "classes") \
            and "input" in e and not isinstance(e["input"], (dict, list)):
        msg = f"{msg} (got {e['input']!r})"
    msg = msg.replace("Value error, ", "")
    return f"{_format_loc(e['loc'])}: {msg}"


def load_study_file(path: Path | str) -> StudyFile:
    path = Path(path)
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise StudyError(f"{path}: study file not found (pass --study FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StudyError(f"{path}: cannot read the study file ({exc})") from None
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no tags that run code
    except StudyError as exc:
        raise StudyError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise StudyError(f"{path}: {where}not valid YAML ({problem})") from None
    if not isinstance(raw, dict):
        raise StudyError(f"{path}: (top level): expected a mapping with keys title, profiles, variants, ...")
    try:
        return StudyFile.model_validate(raw)
    except ValidationError as exc:
        raise StudyError(f"{path}: {one_line_error(exc)}") from None
