"""Which input each result and each error of a HubSpot batch write belongs to, never by position.

HubSpot answers batch create and upsert results in no particular order (hubspot-api-nodejs#190: "The
results array is returned in a random order"), so each result is tied to its input by, in turn:
1. the `objectWriteTraceId` the input sent, where HubSpot echoes it on the result (the spec lists the
   field; whether HubSpot fills it is unconfirmed, docs/sandbox.md);
2. a key: the value of a property unique per input that the result's `properties` carry back (the upsert's
   id property, a create's cross-reference), or for a create without one, every value the input sent;
3. elimination: the last input left and the last result left belong together.
Errors are tied the same way, by `context.objectWriteTraceId` (as HubSpot names a failed input that sent
one) or by `context.ids` holding the key. An input nothing claims gets the errors nobody claimed (their
category kept), or MISSING_RESULT when there are none; a result nothing claims is a record HubSpot made
that crmsync cannot place, so every unplaced input fails UNMATCHED_RESULT naming it, rather than guess."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .outcome import WriteResult


@dataclass(frozen=True)
class MatchKey:
    """A property whose value is unique per input, compared through `normal` (emails lowercased)."""

    prop: str
    normal: Callable[[Any], str] = str

    def value(self, raw: Any) -> str | None:
        return self.normal(raw) if raw not in (None, "") else None

    def of(self, properties: dict[str, Any]) -> str | None:
        return self.value(properties.get(self.prop))


@dataclass(frozen=True)
class SentInput:
    """One input of a batch as sent: its trace id and its properties as strings."""

    trace: str
    properties: dict[str, str]


def match_results(
    sent: Sequence[SentInput],
    response: Any,
    key: MatchKey | None,
    make_ok: Callable[[Any], WriteResult],
) -> list[WriteResult]:
    """One WriteResult per input of `sent`, in input order. `key` gives an input's or a result's unique
    key (None: match a result by every value its input sent)."""
    results = list(getattr(response, "results", None) or [])
    errors = list(getattr(response, "errors", None) or [])
    blamed, loose_errors = _place_errors(sent, errors, key)
    placed = _place_results(sent, results, key, set(blamed))
    loose_results = [r for n, r in enumerate(results) if n not in placed.values()]
    out: list[WriteResult] = []
    for index in range(len(sent)):
        if index in placed:
            out.append(make_ok(results[placed[index]]))
        elif index in blamed:
            out.append(_failed([blamed[index]]))
        elif loose_results:
            ids = ", ".join(str(r.id) for r in loose_results)
            out.append(
                WriteResult.failed(
                    None,
                    "UNMATCHED_RESULT",
                    f"HubSpot created records that cannot be told apart ({ids}); which one is this "
                    "record's is unknown",
                )
            )
        elif loose_errors:
            out.append(_failed(loose_errors))
        else:
            out.append(WriteResult.failed(None, "MISSING_RESULT", "HubSpot returned no result for it"))
    return out


def _place_results(
    sent: Sequence[SentInput], results: list[Any], key: MatchKey | None, blamed: set[int]
) -> dict[int, int]:
    """input index -> result index. `blamed`: inputs an error names, which made no record."""
    placed: dict[int, int] = {}
    taken: set[int] = set()
    by_trace = {s.trace: n for n, s in enumerate(sent)}
    for r_index, result in enumerate(results):
        trace = getattr(result, "object_write_trace_id", None)
        index = by_trace.get(str(trace)) if trace is not None else None
        if index is not None and index not in placed:
            placed[index], taken = r_index, taken | {r_index}
    if key is not None:
        by_key = _unique_keys(sent, key)
        for r_index, result in enumerate(results):
            index = by_key.get(key.of(getattr(result, "properties", None) or {}) or "")
            if r_index not in taken and index is not None and index not in placed:
                placed[index], taken = r_index, taken | {r_index}
    else:
        _place_by_values(sent, results, placed, taken)
    left_inputs = [n for n in range(len(sent)) if n not in placed and n not in blamed]
    left_results = [n for n in range(len(results)) if n not in taken]
    if len(left_inputs) == 1 and len(left_results) == 1:
        placed[left_inputs[0]] = left_results[0]
    return placed


def _place_by_values(
    sent: Sequence[SentInput], results: list[Any], placed: dict[int, int], taken: set[int]
) -> None:
    """A create with no key: a result belongs to an input when it carries every value the input set
    (compared trimmed and case-blind, as HubSpot may store an email lowercased). The inputs setting the
    most values go first, so an input whose values another's include cannot take that one's record;
    identical inputs are interchangeable."""
    for index in sorted(range(len(sent)), key=lambda n: -len(_set_values(sent[n]))):
        if index in placed:
            continue
        wanted = _set_values(sent[index])
        for r_index, result in enumerate(results):
            stored = getattr(result, "properties", None) or {}
            if r_index not in taken and all(_same(stored.get(k), v) for k, v in wanted.items()):
                placed[index] = r_index
                taken.add(r_index)
                break


def _set_values(item: SentInput) -> dict[str, str]:
    return {k: v for k, v in item.properties.items() if v != ""}


def _same(stored: Any, sent: str) -> bool:
    return stored is not None and str(stored).strip().casefold() == sent.strip().casefold()


def _unique_keys(sent: Sequence[SentInput], key: MatchKey) -> dict[str, int]:
    """key -> input index, for the keys exactly one input holds (a shared key tells nothing)."""
    counts: dict[str, list[int]] = {}
    for n, s in enumerate(sent):
        value = key.of(s.properties)
        if value:
            counts.setdefault(value, []).append(n)
    return {value: found[0] for value, found in counts.items() if len(found) == 1}


def _place_errors(
    sent: Sequence[SentInput], errors: list[Any], key: MatchKey | None
) -> tuple[dict[int, Any], list]:
    """(input index -> its error, the errors naming no input)."""
    by_trace = {s.trace: n for n, s in enumerate(sent)}
    by_key = _unique_keys(sent, key) if key is not None else {}
    blamed: dict[int, Any] = {}
    loose = []
    for error in errors:
        context = getattr(error, "context", None) or {}
        named = [by_trace.get(str(t)) for t in context.get("objectWriteTraceId") or []]
        if key is not None:
            named += [by_key.get(key.value(i) or "") for i in context.get("ids") or []]
        hits = [n for n in named if n is not None]
        for n in hits:
            blamed.setdefault(n, error)
        if not hits:
            loose.append(error)
    return blamed, loose


def _failed(errors: list[Any]) -> WriteResult:
    """The errors' own category when they agree (kept all the way to sync_errors), else the first's."""
    first = errors[0]
    messages = list(dict.fromkeys(str(e.message) for e in errors))
    message = messages[0] if len(messages) == 1 else "one of: " + " | ".join(messages)
    return WriteResult.failed(None, first.category, message)
