"""What to do about each error code the CRMs return (and the few crmsync gives itself), as `crmsync
errors` and the health report show it. Records that failed for a reason that sending the same data
again cannot cure are retried once their source record changes, or after a back-off of 1, 2, 4 ... hours
(at most a day), for cures made on the target's side; transient ones on every run."""

from __future__ import annotations

# The fix for a failure whose data must change: after it, edit the record (or resync it from review)
# so the next run retries it at once; otherwise it is retried after its back-off.
RETRY_NOTE = (
    "crmsync retries the record once its source changes, else after 1, 2, 4 ... hours (at most a day)."
)

FIXES: dict[str, str] = {
    # Salesforce
    "REQUIRED_FIELD_MISSING": "Map the field in crmsync.yaml or set a `default:` for it on that side.",
    "INVALID_FIELD": "The field does not exist (or is not visible): update or remove the mapping, "
    "or run `crmsync setup` for crmsync's own fields.",
    "INVALID_FIELD_FOR_INSERT_UPDATE": "The field is not createable/updateable: make it `create_only` or "
    "one-way (`always_salesforce`), or remove it from the mapping.",
    "DUPLICATE_VALUE": "Another Salesforce record holds this unique value: dedupe in Salesforce first "
    "(merge the records), then let the next run retry.",
    "DUPLICATES_DETECTED": "A Salesforce duplicate rule blocked the save: merge the duplicates in Salesforce, "
    "or let the integration user bypass the rule (Allow with alert).",
    "INSUFFICIENT_ACCESS_OR_READONLY": "Grant the integration user access: edit rights on the object and "
    "field (profile / permission set, field-level security) and sharing on the record.",
    "STRING_TOO_LONG": "The value is longer than the target field: mark the mapping `truncate: true`, "
    "shorten the value at its source, or lengthen the field.",
    "INVALID_EMAIL_ADDRESS": "Fix the email address at its source (Salesforce rejects malformed "
    "addresses, surrounding spaces included).",
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": "A Salesforce validation rule rejected the record: fix the "
    "value at its source, or exempt the integration user from the rule.",
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": "The value is not in the restricted picklist: add it to the "
    "value map (or stage map) in crmsync.yaml, or add the value to the picklist in Salesforce.",
    "UNLISTED_PICKLIST_VALUE": "crmsync refused a value its value map (or stage map) gives that the "
    "Salesforce picklist does not have: fix the map entry in crmsync.yaml (`crmsync check` names it and "
    "the values it could use), or add the value to the picklist in Salesforce.",
    "UNABLE_TO_LOCK_ROW": "Another process held the record (a Salesforce lock): nothing to fix, the next "
    "run retries it. If it persists, schedule crmsync away from other bulk jobs.",
    "ENTITY_IS_DELETED": "The Salesforce record was deleted: restore it from the Recycle Bin, or unlink it "
    "with `crmsync review`.",
    "INVALID_CROSS_REFERENCE_KEY": "A lookup points to a record that does not exist (or is not visible): "
    "sync the related record first, or check the integration user's sharing.",
    "MALFORMED_ID": "An id is not a valid Salesforce id: check the cross-reference field on the HubSpot side.",
    "FIELD_INTEGRITY_EXCEPTION": "The value breaks a field's integrity rule (a lookup filter, a dependent "
    "picklist): fix the value at its source.",
    "CANNOT_UPDATE_CONVERTED_LEAD": "The Lead was converted: crmsync relinks it to the Contact on the next "
    "run; settle any duplicate in `crmsync review`.",
    "REQUEST_LIMIT_EXCEEDED": "Salesforce's daily API limit is spent: wait for it to refill, or lower "
    "crmsync's budget share; the next run resumes.",
    "DUPLICATE_EXTERNAL_ID": "Several Salesforce records hold the same HubSpot id in the cross-reference "
    "field: clear it on all but one, or merge them.",
    "NOT_FOUND": "The target record no longer exists: unlink or resync it with `crmsync review`.",
    # HubSpot
    "VALIDATION_ERROR": "HubSpot rejected a property value: check the value's format at its source.",
    "INVALID_OPTION": "The value is not an option of the HubSpot property: add it to the value map in "
    "crmsync.yaml, or add the option to the property in HubSpot.",
    "PROPERTY_DOESNT_EXIST": "The HubSpot property does not exist: update or remove the mapping, or run "
    "`crmsync setup` for crmsync's own properties.",
    "INVALID_EMAIL": "Fix the email address at its source (HubSpot rejects malformed addresses).",
    "CONFLICT": "A HubSpot contact already has this email: merge the two contacts in HubSpot, then let "
    "the next run relink.",
    "INVALID_UNIQUE_VALUE": "Another HubSpot record holds this unique property value: dedupe in HubSpot first.",
    "INVALID_INTEGER": "The value is not a whole number: add a `number` transform or fix it at its source.",
    "INVALID_FLOAT": "The value is not a number: add a `number` transform or fix it at its source.",
    "INVALID_DATE": "The value is not a date HubSpot accepts: add a `date` transform or fix it at its source.",
    "READ_ONLY_VALUE": "The HubSpot property is read-only: make the field one-way (`always_hubspot`) or "
    "remove it from the mapping.",
    "OBJECT_NOT_FOUND": "The HubSpot record no longer exists: unlink or resync it with `crmsync review`.",
    "RATE_LIMIT": "HubSpot's rate limit was hit even after retries: nothing to fix, the next run retries.",
    "DAILY_LIMIT": "HubSpot's daily API limit is spent: the next run after midnight (account time) resumes.",
    # Either side, or crmsync itself
    "CONNECTION_ERROR": "The CRM could not be reached: check the network; the next run retries.",
    "MISSING_RESULT": "The CRM returned no result for the record: the next run retries it.",
    "UNMATCHED_RESULT": "A partial batch create could not be matched to its records: the next run "
    "finds them by cross-reference id.",
    "UNPROCESSED": "The Bulk job stopped before this record: the next run retries it.",
}

GENERIC_FIX = "See the message and the CRM's documentation for the code; the next run retries the record."


def fix_for(code: str | None) -> str:
    """The fix for an error code; HTTP_5xx and Bulk job states get the transient advice."""
    if not code:
        return GENERIC_FIX
    if code in FIXES:
        return FIXES[code]
    if code.startswith("HTTP_5") or code.startswith("BULK_JOB_"):
        return "The CRM failed on its side: the next run retries it."
    return GENERIC_FIX
