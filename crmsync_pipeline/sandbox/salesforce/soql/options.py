"""Switches for SOQL behaviours the reference could not confirm (§12); the emulator maps its settings
onto these so each can be tested both ways."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SoqlOptions:
    """Defaults are the behaviour we believe Salesforce has."""

    # `Field != 'x'` and `Field NOT IN (...)` also match rows where Field is null
    not_equal_matches_null: bool = True
    # a child subquery with no rows is `null` (False: {"totalSize": 0, "done": true, "records": []})
    empty_child_subquery_is_null: bool = True
    # `<>` is accepted as a synonym of `!=` (False: MALFORMED_QUERY)
    allow_angle_not_equal: bool = True
    # ORDER BY ... DESC without NULLS puts nulls last (False: nulls first, like ASC)
    desc_nulls_last: bool = True
    # datetime literals may carry fractional seconds, 2024-01-01T00:00:00.123Z (False: MALFORMED_QUERY)
    allow_fractional_seconds: bool = True
    # a polymorphic parent (Who, What, Owner on Lead/Task) reports attributes.type "Name", as
    # Salesforce does; False reports the referenced record's own object
    polymorphic_type_is_name: bool = True


DEFAULT_OPTIONS = SoqlOptions()
