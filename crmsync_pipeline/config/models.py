"""The validated mapping file (crmsync.yaml): object pairs, value maps and file-wide defaults.

Each entry validates itself (fields.py, pairs.py, ...); this module checks what spans entries: names that
refer to other entries (pairs, value maps, match keys), the dependency order, and binds each field's
transform to the maps it names.
"""

from __future__ import annotations

from graphlib import CycleError, TopologicalSorter
from typing import Literal

from pydantic import Field, model_validator

from .base import StrictModel, did_you_mean
from .fields import Direction, FieldMapping, SideValues, TransformKind, TransformSpec
from .matching import ALL_OBJECTS, MatchKey
from .pairs import (
    PAIR_NAME,
    ApprovalThresholds,
    AssociationMapping,
    CreatePolicy,
    CrossReference,
    DeletePolicy,
    ObjectPair,
)
from .value_maps import DealStages, StageTransform, ValueMap

Loc = tuple[str | int, ...]


class CrossReferenceError(ValueError):
    """Entries that refer to something the file does not define; each problem carries its entry path."""

    def __init__(self, problems: list[tuple[Loc, str]]) -> None:
        super().__init__("; ".join(message for _, message in problems))
        self.problems = problems


class SalesforceOptions(StrictModel):
    """How crmsync's writes behave in the Salesforce org."""

    # False (default): every REST write sends `Sforce-Auto-Assign: FALSE`, so the org's active Lead
    # assignment rule does not move the owner crmsync wrote (a rule that reassigns on create fights the owner
    # sync). True: the rule runs on crmsync's REST creates and updates, as on any API save without the header.
    assignment_rules: bool = False


class Mapping(StrictModel):
    """The whole mapping file. `objects` keeps file order; `sync_order()` gives the dependency order."""

    version: Literal[1] = 1
    cross_reference: CrossReference = Field(default_factory=CrossReference)
    approval: ApprovalThresholds = Field(default_factory=ApprovalThresholds)
    value_maps: dict[str, ValueMap] = Field(default_factory=dict)
    salesforce: SalesforceOptions = Field(default_factory=SalesforceOptions)
    objects: dict[str, ObjectPair]

    @model_validator(mode="after")
    def _check_references_and_bind(self) -> Mapping:
        problems: list[tuple[Loc, str]] = []
        for name, pair in self.objects.items():
            problems += _check_pair(self, name, pair)
        problems += _check_unique_objects(self)
        if not problems:
            try:
                TopologicalSorter({n: p.depends_on for n, p in self.objects.items()}).prepare()
            except CycleError as cycle:
                problems.append(
                    (
                        ("objects", cycle.args[1][0], "depends_on"),
                        f"dependency cycle: {' -> '.join(cycle.args[1])}",
                    )
                )
        if problems:
            raise CrossReferenceError(problems)
        for pair in self.objects.values():
            pair.cross_reference = pair.cross_reference or self.cross_reference
            pair.approval = pair.approval or self.approval
            for mapped in pair.fields:
                kind = mapped.transform.kind
                if kind is TransformKind.PICKLIST:
                    mapped.bind(self.value_maps[mapped.transform.value_map or ""])
                elif kind is TransformKind.STAGE and pair.deal_stages is not None:
                    mapped.bind(StageTransform(pair.deal_stages))
                else:
                    mapped.bind(mapped.transform.build())
        return self

    def sync_order(self) -> list[str]:
        """Pair names, each after the pairs it depends on (file order where free)."""
        position = {name: i for i, name in enumerate(self.objects)}
        done: list[str] = []
        remaining = dict(self.objects)
        while remaining:
            ready = [n for n, p in remaining.items() if all(d in done for d in p.depends_on)]
            nxt = min(ready, key=position.__getitem__)
            done.append(nxt)
            del remaining[nxt]
        return done

    def active_pairs(self) -> list[str]:
        """sync_order() without paused pairs."""
        return [n for n in self.sync_order() if not self.objects[n].paused]

    def pair(self, name: str) -> ObjectPair:
        return self.objects[name]

    def lead_company_placeholders(self) -> frozenset[str]:
        """The values crmsync writes into Lead.Company when HubSpot has none (the `default:` of a field
        mapped to Lead.Company). Salesforce's lead conversion names a new Account after the Lead's Company,
        so an Account holding one of them was named by crmsync, not by a person
        (crmsync_pipeline/match/placeholder_names.py)."""
        return frozenset(
            str(mapped.default.salesforce).strip()
            for pair in self.objects.values()
            if "Lead" in pair.salesforce
            for mapped in pair.fields_for("Lead")
            if mapped.salesforce == "Company" and mapped.default.salesforce not in (None, "")
        )


def _ancestors(mapping: Mapping, name: str, seen: set[str] | None = None) -> set[str]:
    seen = set() if seen is None else seen
    for dep in mapping.objects[name].depends_on:
        if dep in mapping.objects and dep not in seen:
            seen.add(dep)
            _ancestors(mapping, dep, seen)
    return seen


def _unknown_pair(ref: str, mapping: Mapping) -> str:
    known = list(mapping.objects)
    return f"unknown object pair '{ref}'; defined: {', '.join(known)}{did_you_mean(ref, known)}"


def _check_pair(mapping: Mapping, name: str, pair: ObjectPair) -> list[tuple[Loc, str]]:
    at: Loc = ("objects", name)
    problems: list[tuple[Loc, str]] = []
    if not PAIR_NAME.match(name):
        problems.append((at, f"pair name '{name}' should be lower_snake_case (it names state tables)"))
    for i, dep in enumerate(pair.depends_on):
        if dep not in mapping.objects:
            problems.append(((*at, "depends_on", i), _unknown_pair(dep, mapping)))
    if pair.create_problem():
        problems.append(((*at, "create", "salesforce_as"), pair.create_problem() or ""))
    seen_fields: set[str] = set()
    for i, mapped in enumerate(pair.fields):
        problems += _check_field(mapping, pair, (*at, "fields", i), mapped)
        if mapped.name in seen_fields:
            problems.append(
                (
                    (*at, "fields", i, "name"),
                    f"field '{mapped.name}' is mapped twice in this pair; give one of them a distinct name",
                )
            )
        seen_fields.add(mapped.name)
    problems += _check_match(pair, at)
    rules = [
        (side, rule)
        for side, rule in (("hubspot", pair.include.hubspot), ("salesforce", pair.include.salesforce))
        if rule
    ]
    for side, rule in rules:
        for condition in rule.walk():
            for ref in condition.associated_with_synced or []:
                if ref not in mapping.objects:
                    problems.append(((*at, "include", side), _unknown_pair(ref, mapping)))
    upstream = _ancestors(mapping, name)
    for i, assoc in enumerate(pair.associations):
        loc = (*at, "associations", i)
        if assoc.to not in mapping.objects:
            problems.append(((*loc, "to"), _unknown_pair(assoc.to, mapping)))
        elif assoc.to not in upstream:
            problems.append(
                (
                    (*loc, "to"),
                    f"'{assoc.to}' must sync before '{name}' for its ids to exist: add it to depends_on",
                )
            )
        problems += _check_objects(pair, (*loc, "salesforce_objects"), assoc.salesforce_objects)
    return problems


def _check_field(mapping: Mapping, pair: ObjectPair, loc: Loc, mapped: FieldMapping) -> list[tuple[Loc, str]]:
    problems = _check_objects(pair, (*loc, "salesforce_objects"), mapped.salesforce_objects)
    spec = mapped.transform
    if spec.kind is TransformKind.PICKLIST and spec.value_map not in mapping.value_maps:
        known = list(mapping.value_maps)
        problems.append(
            (
                (*loc, "transform", "value_map"),
                f"unknown value map '{spec.value_map}'; defined: "
                f"{', '.join(known) or 'none'}{did_you_mean(spec.value_map or '', known)}",
            )
        )
    if spec.kind is TransformKind.STAGE and pair.deal_stages is None:
        problems.append(((*loc, "transform"), "a stage transform needs deal_stages on its pair"))
    return problems


def _check_objects(pair: ObjectPair, loc: Loc, objects: list[str] | None) -> list[tuple[Loc, str]]:
    return [
        (
            (*loc, i),
            f"'{obj}' is not one of this pair's Salesforce objects ({', '.join(pair.salesforce)})"
            f"{did_you_mean(obj, pair.salesforce)}",
        )
        for i, obj in enumerate(objects or [])
        if obj not in pair.salesforce
    ]


def _check_match(pair: ObjectPair, at: Loc) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    earlier: list[str] = []
    for i, key in enumerate(pair.match):
        loc = (*at, "match", i)
        if key.name in earlier:
            problems.append(((*loc, "name"), f"match key '{key.name}' is defined twice"))
        for obj in key.salesforce:
            if obj != ALL_OBJECTS and obj not in pair.salesforce:
                problems.append(
                    (
                        (*loc, "salesforce", obj),
                        f"'{obj}' is not one of this pair's Salesforce "
                        f"objects ({', '.join(pair.salesforce)})",
                    )
                )
        for j, ref in enumerate(key.only_when_missing):
            if ref not in earlier:
                problems.append(
                    (
                        (*loc, "only_when_missing", j),
                        f"'{ref}' is not an earlier match key{did_you_mean(ref, earlier)}",
                    )
                )
        earlier.append(key.name)
    return problems


def _check_unique_objects(mapping: Mapping) -> list[tuple[Loc, str]]:
    problems: list[tuple[Loc, str]] = []
    owners: dict[str, str] = {}
    for name, pair in mapping.objects.items():
        for side_key, obj in [("hubspot", pair.hubspot)] + [("salesforce", o) for o in pair.salesforce]:
            key = f"{side_key}:{obj}"
            if key in owners:
                problems.append(
                    (
                        ("objects", name, side_key),
                        f"{side_key} object '{obj}' is already synced by pair '{owners[key]}'",
                    )
                )
            owners.setdefault(key, name)
    return problems


__all__ = [
    "ApprovalThresholds",
    "AssociationMapping",
    "CreatePolicy",
    "CrossReference",
    "CrossReferenceError",
    "DealStages",
    "DeletePolicy",
    "Direction",
    "FieldMapping",
    "Mapping",
    "MatchKey",
    "ObjectPair",
    "SideValues",
    "TransformSpec",
    "ValueMap",
]
