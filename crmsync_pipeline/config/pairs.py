"""One object pair (a HubSpot object <-> one or more Salesforce objects) and its per-pair policies."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import Field, field_validator, model_validator

from .base import StrictModel
from .conditions import Inclusion
from .fields import Direction, FieldMapping
from .matching import MatchKey
from .value_maps import DealStages

CONTACT_WHEN_COMPANY_LINKED = "contact_when_company_linked"


class CrossReference(StrictModel):
    """Where each side stores the other side's id (a unique HubSpot property, a Salesforce external id)."""

    hubspot_property: str = "crmsync_salesforce_id"
    salesforce_field: str = "CrmSync_HubSpot_Id__c"


class ApprovalThresholds(StrictModel):
    """A run that would update or delete more than these shares of already-linked records stops for
    approval. Creates never count; neither does a run changing fewer than `ignore_below` records."""

    max_update_share: float = Field(0.2, ge=0, le=1)
    max_delete_share: float = Field(0.2, ge=0, le=1)
    ignore_below: int = Field(10, ge=0)

    @field_validator("max_update_share", "max_delete_share", mode="before")
    @classmethod
    def _percent_text(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return float(value.strip()[:-1]) / 100
        return value

    def needs_approval(self, linked: int, updates: int, deletes: int) -> bool:
        def over(count: int, share: float) -> bool:
            return count >= self.ignore_below and count > share * linked

        return over(updates, self.max_update_share) or over(deletes, self.max_delete_share)


class DeleteAction(StrEnum):
    """What a deletion (HubSpot archive, Salesforce delete) on one side does to the linked record."""

    REPORT = "report"  # reported as an orphan; the other side is left alone
    PROPAGATE = "propagate"  # archived in HubSpot / deleted in Salesforce
    RESTORE = "restore"  # re-created from the other side


# What reads well in a mapping file: `deleted_in_hubspot: delete` (delete it in Salesforce too).
DELETE_ACTION_ALIASES = {"archive": "propagate", "delete": "propagate", "ignore": "report"}


class DeletePolicy(StrictModel):
    """`deletes: report` applies to both sides; or set each side. `archive`/`delete` mean `propagate`,
    `ignore` means `report`. `erase_on_gdpr_delete`: a record gone for good on one side (a GDPR delete
    in HubSpot, a hard delete in Salesforce) erases the person on the other side and in the state;
    unset, it is on for HubSpot contacts and off for other objects."""

    deleted_in_hubspot: DeleteAction = DeleteAction.REPORT
    deleted_in_salesforce: DeleteAction = DeleteAction.REPORT
    erase_on_gdpr_delete: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _one_action_for_both(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = {"deleted_in_hubspot": value, "deleted_in_salesforce": value}
        if isinstance(value, dict):
            value = {
                k: DELETE_ACTION_ALIASES.get(v, v)
                if k.startswith("deleted_in_") and isinstance(v, str)
                else v
                for k, v in value.items()
            }
        return value

    def action(self, deleted_in: str) -> DeleteAction:
        """The action for a record deleted in `deleted_in` (hubspot | salesforce)."""
        return self.deleted_in_hubspot if deleted_in == "hubspot" else self.deleted_in_salesforce


class Junction(StrictModel):
    """A Salesforce junction object carrying a many-to-many association (OpportunityContactRole)."""

    object: str
    this_field: str  # points at this pair's record (OpportunityId)
    other_field: str  # points at the associated pair's record (ContactId)
    values: dict[str, str | int | float | bool] = Field(default_factory=dict)  # set on create


class AssociationMapping(StrictModel):
    """A HubSpot association <-> a Salesforce lookup field or junction object, to another pair."""

    to: str
    salesforce_field: str | None = None
    junction: Junction | None = None
    salesforce_objects: list[str] | None = None
    hubspot_type_id: int | None = None  # the association type written in HubSpot; None: the default
    direction: Direction = Direction.TWO_WAY

    @field_validator("salesforce_objects", mode="before")
    @classmethod
    def _one_object_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _one_carrier(self) -> AssociationMapping:
        if (self.salesforce_field is None) == (self.junction is None):
            raise ValueError("an association needs exactly one of salesforce_field (a lookup) or junction")
        if self.direction in (Direction.RESOLVER, Direction.CREATE_ONLY):
            raise ValueError(f"direction '{self.direction.value}' is not available for associations")
        return self


class CreatePolicy(StrictModel):
    """Whether an unmatched record is created on the other side, and as which Salesforce object.

    `salesforce_as`: one of the pair's Salesforce objects, or `contact_when_company_linked` (pairs with
    Contact and Lead): a Contact when the person's company is linked to an Account, else a Lead."""

    in_hubspot: bool = True
    in_salesforce: bool = True
    salesforce_as: str | None = None

    @field_validator("salesforce_as", mode="before")
    @classmethod
    def _capitalised(cls, value: Any) -> Any:
        return {"lead": "Lead", "contact": "Contact"}.get(value, value) if isinstance(value, str) else value


class MergeAction(StrEnum):
    """What a merge of two linked records on one side does to their two linked records on the other."""

    REVIEW = "review"  # a review item; the survivor keeps its link
    MIRROR = "mirror"  # the other side's two records are merged too (survivor: the survivor's partner)


class ObjectPair(StrictModel):
    """A HubSpot object type <-> Salesforce object(s), synced the same way whatever the objects are."""

    hubspot: str
    salesforce: list[str] = Field(min_length=1)
    paused: bool = False
    depends_on: list[str] = Field(default_factory=list)
    fields: list[FieldMapping] = Field(default_factory=list)
    match: list[MatchKey] = Field(default_factory=list)
    include: Inclusion = Field(default_factory=Inclusion)
    create: CreatePolicy = Field(default_factory=CreatePolicy)
    associations: list[AssociationMapping] = Field(default_factory=list)
    deal_stages: DealStages | None = None
    deletes: DeletePolicy = Field(default_factory=DeletePolicy)
    merges: MergeAction = MergeAction.REVIEW
    cross_reference: CrossReference | None = None  # None: the file's top-level cross_reference
    approval: ApprovalThresholds | None = None  # None: the file's top-level approval

    @field_validator("salesforce", "depends_on", mode="before")
    @classmethod
    def _one_is_a_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @model_validator(mode="after")
    def _create_object_defaults(self) -> ObjectPair:
        if self.create.salesforce_as is None:
            person = {"Contact", "Lead"} <= set(self.salesforce)
            self.create.salesforce_as = CONTACT_WHEN_COMPANY_LINKED if person else self.salesforce[0]
        return self

    def create_problem(self) -> str | None:
        """What is wrong with create.salesforce_as for this pair's objects, if anything."""
        wanted = self.create.salesforce_as
        if wanted == CONTACT_WHEN_COMPANY_LINKED and not {"Contact", "Lead"} <= set(self.salesforce):
            return f"'{wanted}' needs both Contact and Lead in salesforce"
        if wanted != CONTACT_WHEN_COMPANY_LINKED and wanted not in self.salesforce:
            return (
                f"'{wanted}' is not one of this pair's Salesforce objects ({', '.join(self.salesforce)}) "
                f"or {CONTACT_WHEN_COMPANY_LINKED}"
            )
        return None

    def salesforce_object_to_create(self, company_linked: bool = False) -> str:
        """Which Salesforce object a new record becomes."""
        wanted = self.create.salesforce_as or self.salesforce[0]
        if wanted == CONTACT_WHEN_COMPANY_LINKED:
            return "Contact" if company_linked else "Lead"
        return wanted

    def field(self, name: str) -> FieldMapping:
        for mapped in self.fields:
            if mapped.name == name:
                return mapped
        raise KeyError(name)

    def fields_for(self, salesforce_object: str) -> list[FieldMapping]:
        return [f for f in self.fields if f.applies_to(salesforce_object)]

    @property
    def xref(self) -> CrossReference:
        return self.cross_reference or CrossReference()

    @property
    def thresholds(self) -> ApprovalThresholds:
        return self.approval or ApprovalThresholds()

    @property
    def erases_on_gdpr_delete(self) -> bool:
        chosen = self.deletes.erase_on_gdpr_delete
        return self.hubspot in ("contacts", "0-1") if chosen is None else chosen


PAIR_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
