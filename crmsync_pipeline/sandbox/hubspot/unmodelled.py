"""HubSpot's standard object types the sandbox does not emulate (tickets, calls, line items ...). Asked
for their properties, the sandbox answers as HubSpot does for a private-app token without those
scopes: 403 MISSING_SCOPES. Generic extractors (meltano-tap-hubspot) discover every standard type and
skip the ones answering 403, so they run against the sandbox unchanged."""

from __future__ import annotations

from ..emulator import ApiError

UNMODELLED_TYPES = {
    "calls",
    "communications",
    "emails",
    "meetings",
    "notes",
    "postal_mail",
    "leads",
    "line_items",
    "products",
    "tickets",
    "quotes",
    "goal_targets",
    "feedback_submissions",
    "invoices",
    "carts",
    "orders",
    "payments",
    "subscriptions",
}


def missing_scopes(object_type: str) -> ApiError | None:
    """The 403 for an unmodelled standard type, or None for any other name."""
    if object_type.lower() not in UNMODELLED_TYPES:
        return None
    return ApiError(
        403,
        "MISSING_SCOPES",
        "This app hasn't been granted all required scopes to make this call.",
        errors=[{"message": f"One or more of the following scopes are required for {object_type}."}],
    )
