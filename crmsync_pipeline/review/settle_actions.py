"""Which resolutions settle which kind of review item (docs/operations.md, Review): `--link` names two
records to link, `--create` lets the next sync create the held record, `--propagate` carries an orphan's
delete across, `--resume` / `--keep` let a ping_pong item's field sync again, `--skip` closes an item
and keeps holding what it held. An action another kind needs means nothing for the item (a drift item
names a linked pair: there is nothing to create), so it is refused rather than recorded."""

from __future__ import annotations

LINK, CREATE, SKIP, PROPAGATE = "link", "create", "skip", "propagate"
RESUME, KEEP_HUBSPOT, KEEP_SALESFORCE = "resume", "keep_hubspot", "keep_salesforce"

BY_KIND: dict[str, tuple[str, ...]] = {
    "ambiguous_match": (LINK, CREATE, SKIP),
    "keyless": (LINK, CREATE, SKIP),
    "unlinked": (LINK, CREATE, SKIP),
    "duplicate_lead": (LINK, SKIP),  # the Lead is a second copy of a linked person: never created
    "duplicate_hubspot": (CREATE, SKIP),  # its twin is linked to another record: merge in the CRM
    "duplicate_salesforce": (CREATE, SKIP),
    "orphan": (PROPAGATE, CREATE, SKIP),
    "undone_create": (CREATE, SKIP),
    "merge": (LINK, SKIP),
    "held_conflict": (SKIP,),  # make the two CRMs agree by hand, then close it
    "drift": (SKIP,),
    "undo_split": (SKIP,),
    "ping_pong": (RESUME, KEEP_HUBSPOT, KEEP_SALESFORCE, SKIP),
}
ANY_KIND = (LINK, CREATE, SKIP)  # a kind this table does not know yet (an older or newer crmsync)

# how the command line spells each action
FLAGS = {
    LINK: "--link HUBSPOT_ID SALESFORCE_ID",
    CREATE: "--create",
    SKIP: "--skip",
    PROPAGATE: "--propagate",
    RESUME: "--resume",
    KEEP_HUBSPOT: "--keep hubspot",
    KEEP_SALESFORCE: "--keep salesforce",
}


def actions_for(kind: str) -> tuple[str, ...]:
    return BY_KIND.get(kind, ANY_KIND)


def flags_for(kind: str) -> str:
    """The resolve flags valid for `kind`, as `crmsync review resolve ITEM` takes them."""
    return " | ".join(FLAGS[a] for a in actions_for(kind))
