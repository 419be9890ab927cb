"""The shape of a generated world: each CRM's records in its own field names, with local keys in
place of ids. Each emulator's `load_seed` inserts its side and resolves keys to the ids it assigns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SeedOptions(BaseModel):
    """`--records N`: about N people per side; companies, deals and tasks in proportion."""

    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    people: int = Field(0, ge=0, alias="records")
    seed: int = 42
    companies: int | None = Field(None, ge=0)
    deals: int | None = Field(None, ge=0)
    tasks: int | None = Field(None, ge=0)

    @property
    def company_count(self) -> int:
        return (
            self.companies if self.companies is not None else max(self.people // 5, 1 if self.people else 0)
        )

    @property
    def deal_count(self) -> int:
        return self.deals if self.deals is not None else self.people * 3 // 10

    @property
    def task_count(self) -> int:
        return self.tasks if self.tasks is not None else self.people // 2


@dataclass
class SeedRecord:
    key: str
    fields: dict[str, Any]
    # field -> (object, key) of another seeded record (or owner/user), replaced by its assigned id
    refs: dict[str, tuple[str, str]] = field(default_factory=dict)
    created_at: datetime | None = None
    modified_at: datetime | None = None


@dataclass
class SeedAssociation:
    from_object: str
    from_key: str
    to_object: str
    to_key: str
    type_ids: list[int]


@dataclass
class SeedList:
    name: str
    object_type_id: str
    processing_type: str
    member_keys: list[str]


@dataclass
class HubSpotSide:
    # owner fields: email, firstName, lastName
    owners: list[SeedRecord] = field(default_factory=list)
    # "companies", "contacts", "deals", "tasks" -> records with property values as Python values
    objects: dict[str, list[SeedRecord]] = field(default_factory=dict)
    associations: list[SeedAssociation] = field(default_factory=list)
    lists: list[SeedList] = field(default_factory=list)


@dataclass
class SalesforceSide:
    users: list[SeedRecord] = field(default_factory=list)
    # insertion order matters: Account, Contact, Lead, Opportunity, OpportunityContactRole, Task
    objects: dict[str, list[SeedRecord]] = field(default_factory=dict)


@dataclass
class SeedWorld:
    hubspot: HubSpotSide
    salesforce: SalesforceSide
    # what the generator knows it made (overlaps, variants, invalid records), for tests and the demo
    facts: dict[str, Any] = field(default_factory=dict)
