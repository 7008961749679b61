"""The base of every block of the study file's schema: unknown keys are one-line errors that list the
allowed ones (schema.py)."""
from __future__ import annotations

import difflib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

from ..analysis.vocabulary import METRICS
from ..errors import InputError


class StudyError(InputError):
    """Bad input: printed as one line, exit code 2."""


Metric = Literal[METRICS]  # type: ignore[valid-type]


class Strict(BaseModel):
    """Unknown keys are errors that list the allowed ones; types are not coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            allowed = list(cls.model_fields)
            for key in data:
                if key not in allowed:
                    close = difflib.get_close_matches(str(key), allowed, n=1)
                    hint = f"; did you mean '{close[0]}'?" if close else ""
                    raise PydanticCustomError(
                        "unknown_key", "unknown key '{key}' (allowed: {allowed}){hint}",
                        {"key": str(key), "allowed": ", ".join(allowed), "hint": hint})
        return data
