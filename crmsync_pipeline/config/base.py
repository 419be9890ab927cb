"""The strict pydantic base every mapping-file model uses: unknown keys are refused with a did-you-mean."""

from __future__ import annotations

import difflib
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic_core import PydanticCustomError


class Side(StrEnum):
    """One of the two CRMs."""

    HUBSPOT = "hubspot"
    SALESFORCE = "salesforce"

    @property
    def other(self) -> Side:
        return Side.SALESFORCE if self is Side.HUBSPOT else Side.HUBSPOT


def did_you_mean(word: str, choices: list[str] | set[str] | tuple[str, ...]) -> str:
    """' (did you mean 'x'?)' when a choice is close to word (ignoring case and - vs _), else ''."""
    folded = {c.lower().replace("-", "_"): c for c in choices}
    close = difflib.get_close_matches(str(word).lower().replace("-", "_"), list(folded), n=1, cutoff=0.6)
    return f" (did you mean '{folded[close[0]]}'?)" if close else ""


class StrictModel(BaseModel):
    """A mapping-file entry: every key must be one this model knows."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _refuse_unknown_keys(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        known = {f.alias or name for name, f in cls.model_fields.items()}
        unknown = [k for k in data if k not in known and k not in cls.model_fields]
        if unknown:
            key = unknown[0]
            raise PydanticCustomError(
                "unknown_key",
                "unknown key '{key}'; expected one of: {known}{hint}",
                {"key": str(key), "hint": did_you_mean(str(key), known), "known": ", ".join(sorted(known))},
            )
        return data
