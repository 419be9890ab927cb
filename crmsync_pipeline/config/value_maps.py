"""Picklist value maps and deal-stage maps, whose canonical form is the Salesforce value.

A map lists HubSpot -> Salesforce and Salesforce -> HubSpot separately, so a many-to-one direction is
stated, never implied. Canonical form of a HubSpot value h: hubspot_to_salesforce[h]. Canonical form of
a Salesforce value s: hubspot_to_salesforce[salesforce_to_hubspot[s]] (s itself when s is the value the
HubSpot side maps to). So every value in one equivalence class (e.g. HubSpot decisionmakerboughtin and
contractsent, Salesforce Negotiation/Review) has one canonical form: a record already holding any of
them is in sync and keeps its value, and a many-to-one map never flips back and forth.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import Field, PrivateAttr, model_validator

from .base import Side, StrictModel, did_you_mean
from .transforms import NO_CONTEXT, TransformContext, TransformError, UnmappedValueError, empty_for, is_empty


class Unmapped(StrEnum):
    """What happens to a value the map does not list."""

    REPORT = "report"  # the field is not carried for that record; the merge reports a data-quality issue
    PASS_THROUGH = "pass_through"  # the raw value is carried unchanged (unrestricted picklists)


class ValueMap(StrictModel):
    """A two-way picklist map. `both_ways` is shorthand for a one-to-one pair in both directions."""

    both_ways: dict[str, str] = Field(default_factory=dict)
    hubspot_to_salesforce: dict[str, str] = Field(default_factory=dict)
    salesforce_to_hubspot: dict[str, str] = Field(default_factory=dict)
    unmapped: Unmapped = Unmapped.REPORT
    _folded_hubspot: dict[str, str] = PrivateAttr(default_factory=dict)
    _folded_salesforce: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _fold_and_check(self) -> ValueMap:
        for hubspot, salesforce in self.both_ways.items():
            for direction, key, value in (
                (self.hubspot_to_salesforce, hubspot, salesforce),
                (self.salesforce_to_hubspot, salesforce, hubspot),
            ):
                if direction.get(key, value) != value:
                    raise ValueError(
                        f"both_ways maps '{hubspot}' <-> '{salesforce}' but a one-way entry "
                        f"maps '{key}' to '{direction[key]}'"
                    )
                direction[key] = value
        self.both_ways = {}
        for hubspot, salesforce in self.hubspot_to_salesforce.items():
            back = self.salesforce_to_hubspot.get(salesforce)
            if back is None:
                raise ValueError(
                    f"hubspot_to_salesforce maps '{hubspot}' to '{salesforce}', but "
                    f"salesforce_to_hubspot has no entry for '{salesforce}'"
                    f"{did_you_mean(salesforce, self.salesforce_to_hubspot)}"
                )
            again = self.hubspot_to_salesforce.get(back)
            if again != salesforce:
                raise ValueError(
                    f"salesforce_to_hubspot maps '{salesforce}' to '{back}', but "
                    f"hubspot_to_salesforce maps '{back}' to '{again}': each Salesforce value "
                    f"must map to a HubSpot value that maps back to it"
                )
        self._folded_hubspot = {k.casefold(): v for k, v in self.hubspot_to_salesforce.items()}
        self._folded_salesforce = {k.casefold(): v for k, v in self.salesforce_to_hubspot.items()}
        return self

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if is_empty(value):
            return None
        raw = str(value).strip()
        if side is Side.HUBSPOT:
            canonical = self._lookup(Side.HUBSPOT, raw)
        else:
            hubspot = self._lookup(Side.SALESFORCE, raw)
            canonical = None if hubspot is None else self.hubspot_to_salesforce[hubspot]
        if canonical is None:
            if self.unmapped is Unmapped.PASS_THROUGH:
                return raw
            raise UnmappedValueError(f"{side.value} value {raw!r} is not in the value map")
        return canonical

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        if value is None:
            return empty_for(side)
        if side is Side.SALESFORCE:
            return value
        hubspot = self._lookup(Side.SALESFORCE, value)
        if hubspot is None:
            if self.unmapped is Unmapped.PASS_THROUGH:
                return value
            raise UnmappedValueError(f"canonical value {value!r} has no HubSpot value in the map")
        return hubspot

    def listed_for(self, source: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        """The other side's value this map lists for `source`'s raw `value` in its own direction (a
        Salesforce value's salesforce_to_hubspot entry), None when it is not listed. Written instead of
        the canonical value's first counterpart, it keeps a one-way entry such as
        `Closed - Converted: OPEN_DEAL` (the canonical form alone would send that class's IN_PROGRESS)."""
        if is_empty(value):
            return None
        return self._lookup(source, str(value).strip())

    def equivalents(self, side: Side, canonical: str) -> set[str]:
        """Every value on `side` that is in sync with the canonical value."""
        return {v for v in self._values(side) if self.to_canonical(side, v) == canonical}

    def missing(self, side: Side, values: list[str] | set[str]) -> list[str]:
        """The given picklist values (e.g. read from the CRM) this map has no entry for."""
        return [v for v in values if self._lookup(side, v) is None]

    def _lookup(self, side: Side, value: str) -> str | None:
        found = self._table(side).get(value)
        if found is None:
            # Salesforce compares picklist values case-insensitively; imported HubSpot data is messier still
            folded = self._folded_hubspot if side is Side.HUBSPOT else self._folded_salesforce
            found = folded.get(value.casefold())
        return found

    def _table(self, side: Side) -> dict[str, str]:
        return self.hubspot_to_salesforce if side is Side.HUBSPOT else self.salesforce_to_hubspot

    def _values(self, side: Side) -> list[str]:
        return list(self._table(side))


class DealStages(StrictModel):
    """Deal-stage maps per HubSpot pipeline id (stage ids <-> Opportunity.StageName).

    Salesforce has one stage list, so an Opportunity that has no HubSpot deal yet is read (and created in
    HubSpot) with `default_pipeline`'s map; a deal's pipeline itself is HubSpot's to decide."""

    pipeline_property: str = "pipeline"
    default_pipeline: str = "default"
    pipelines: dict[str, ValueMap]

    @model_validator(mode="after")
    def _default_is_mapped(self) -> DealStages:
        if self.default_pipeline not in self.pipelines:
            raise ValueError(
                f"default_pipeline '{self.default_pipeline}' has no entry under pipelines"
                f"{did_you_mean(self.default_pipeline, self.pipelines)}"
            )
        return self

    def for_pipeline(self, pipeline: str | None) -> ValueMap:
        stage_map = self.pipelines.get(pipeline or self.default_pipeline)
        if stage_map is None:
            raise UnmappedValueError(f"pipeline {pipeline!r} has no stage map")
        return stage_map


@dataclass(frozen=True)
class StageTransform:
    """Deal stage ids <-> StageName through the map of the deal's pipeline (ctx.pipeline)."""

    stages: DealStages

    def to_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return self.stages.for_pipeline(ctx.pipeline).to_canonical(side, value)

    def from_canonical(self, side: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return self.stages.for_pipeline(ctx.pipeline).from_canonical(side, value)

    def listed_for(self, source: Side, value: Any, ctx: TransformContext = NO_CONTEXT) -> str | None:
        return self.stages.for_pipeline(ctx.pipeline).listed_for(source, value)


__all__ = ["DealStages", "StageTransform", "TransformError", "Unmapped", "ValueMap"]
