"""HubSpot response contracts, from the official client's own schema: every response the sandbox gives a
`hubspot-api-client` call is checked against the model that call documents for its status code.

HubSpot's OpenAPI files cannot be shipped or fetched here (docs/sandbox.md, "Contract tests"), so the
schema is the generated models of `hubspot-api-client` 12.0.0 (Apache-2.0), which HubSpot generates from
those same OpenAPI definitions: per operation its `response_types_map` (status -> model), per model its
`openapi_types` and `attribute_map`. The client itself is lenient (unknown keys dropped, `str()` on any
scalar, required fields unchecked unless asked), so the check here is strict:

- the status must be one the operation documents (any other 2xx makes the client return None);
- every key must be one the model declares (or a documented exception, KNOWN_DEFECTS);
- every value must have the JSON type the model declares: strings are strings, booleans booleans,
  integers integers, datetimes ISO-8601 strings, nested models recursively;
- then the body goes through the client's own `ApiClient.deserialize` with client-side validation on,
  which refuses a missing required field and a value outside an enum.

Error answers (4xx/5xx) are checked the same way against the package's `Error` model.

The recorder hooks in through the client's documented `api_factory` setting: the API objects it builds
are the client's own, with `call_api` wrapped to look at each answer; nothing in the client is patched."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from types import ModuleType
from typing import Any

from hubspot.discovery.discovery_base import DiscoveryBase


@dataclass(frozen=True)
class Defect:
    """A documented difference between the schema and HubSpot's real answers, accepted for one key of one
    model: the key may appear though the model lacks it, and may also hold JSON type `also`."""

    why: str
    also: str | None = None


# Where the spec (and the client generated from it) and HubSpot's real answers differ: each accepted here
# and nowhere else. (model, JSON key; "properties.*" = any value of that map) -> the defect.
KNOWN_DEFECTS: dict[tuple[str, str], Defect] = {
    # The spec types every property value `string` without `nullable`, yet HubSpot answers null for a
    # requested property that has no value (HubSpot's CRM docs; /work/shared/reference/hubspot_api.md §12).
    **{
        (model, "properties.*"): Defect("null property values")
        for model in ("SimplePublicObject", "SimplePublicObjectWithAssociations", "SimplePublicUpsertObject")
    },
    # HubSpot's error bodies carry "status": "error" (every captured one does); the Error model lacks it.
    ("Error", "status"): Defect("the error envelope's status"),
    # The v4 association reads answer toObjectId as a JSON number; the spec and the client say string
    # (observed; the client turns the number into a str) (reference §1 and §12).
    ("MultiAssociatedObjectWithLabel", "toObjectId"): Defect("a number in practice", also="int"),
    # Properties carry `dataSensitivity` (non_sensitive | sensitive | highly_sensitive) in HubSpot's current
    # Properties API reference; hubspot-api-client 12.0.0's ModelProperty predates the field.
    ("ModelProperty", "dataSensitivity"): Defect("newer than client 12.0.0's model"),
}
# A 429 is the rate limiter's body, not the API's Error model: {status, message, errorType, correlationId,
# policyName, groupName} (captured from the real API; HubSpot's Node SDK keys its retries on these).
RATE_LIMIT_KEYS = frozenset({"status", "message", "errorType", "correlationId", "policyName", "groupName"})


@dataclass
class Exchange:
    """One call the client made and what the sandbox answered."""

    operation: str  # the client method, e.g. "crm.objects.batch_api.read"
    method: str
    path: str
    status: int
    model: str | None  # the documented model for that status (None: the operation documents no body)
    problems: list[str] = field(default_factory=list)


class ContractRecorder:
    """Install on a `HubSpot` client (`recorder.install(client)`); every call it then makes is an Exchange."""

    def __init__(self) -> None:
        self.exchanges: list[Exchange] = []

    def install(self, client: Any) -> None:
        client.config["api_factory"] = self._factory

    def problems(self) -> list[str]:
        return [
            f"{e.operation} {e.method} {e.path} -> {e.status}: {p}"
            for e in self.exchanges
            for p in e.problems
        ]

    def _factory(self, package: ModuleType, api_name: str, config: dict[str, Any]) -> Any:
        api = DiscoveryBase._default_api_factory(package, api_name, config)
        api_client = api.api_client
        original = api_client.call_api
        recorder = self

        def call_api(resource_path: str, method: str, *args: Any, **kwargs: Any) -> Any:
            operation = _operation(sys._getframe(1))
            types = kwargs.get("response_types_map") or {}
            try:
                answer = original(resource_path, method, *args, **kwargs)
            except package.ApiException as exc:
                recorder._error(package, operation, method, resource_path, exc)
                raise
            raw = api_client.last_response
            recorder._answer(
                package, api_client, operation, method, resource_path, raw.status, raw.data, types
            )
            return answer

        api_client.call_api = call_api
        return api

    def _answer(
        self,
        package: ModuleType,
        api_client: Any,
        operation: str,
        method: str,
        path: str,
        status: int,
        data: Any,
        types: dict[int, str],
    ) -> None:
        model = types.get(status)
        exchange = Exchange(operation, method, path, status, model)
        self.exchanges.append(exchange)
        if not types:
            if data:
                exchange.problems.append(f"a body where the operation documents none: {data[:200]!r}")
            return
        if model is None:
            exchange.problems.append(f"status {status} is not among the documented {sorted(types)}")
            return
        exchange.problems += check_body(package, model, data, api_client.configuration)

    def _error(self, package: ModuleType, operation: str, method: str, path: str, exc: Any) -> None:
        exchange = Exchange(operation, method, path, int(exc.status or 0), "Error")
        self.exchanges.append(exchange)
        if exc.status == 429:
            body = _json(exc.body, exchange.problems)
            if isinstance(body, dict) and set(body) != RATE_LIMIT_KEYS:
                exchange.problems.append(f"429 body keys {sorted(body)} are not the rate limiter's")
            return
        exchange.problems += check_body(package, "Error", exc.body, package.Configuration())


def check_body(package: ModuleType, model: str, data: Any, configuration: Any) -> list[str]:
    """Everything wrong with `data` (a JSON body) as the package's `model`: the strict walk, then the
    client's own deserialisation with client-side validation on."""
    problems: list[str] = []
    body = _json(data, problems)
    if problems:
        return problems
    models = importlib.import_module(f"{package.__name__}.models")
    problems += strict_problems(models, model, body)
    validating = type(configuration)()
    validating.client_side_validation = True
    client = package.ApiClient(configuration=validating)
    try:
        client.deserialize(_Raw(json.dumps(body)), model)
    except Exception as exc:  # the client's ValueError/ApiException: what it refuses
        problems.append(f"the client refuses it: {exc}")
    return problems


def strict_problems(
    models: ModuleType, type_name: str, value: Any, path: str = "$", owner: str = ""
) -> list[str]:
    """The JSON-level problems of `value` as `type_name` (an openapi_types string)."""
    if type_name.startswith("list["):
        if not isinstance(value, list):
            return [f"{path}: expected an array, got {_kind(value)}"]
        inner = type_name[5:-1]
        return [
            p for n, v in enumerate(value) for p in strict_problems(models, inner, v, f"{path}[{n}]", owner)
        ]
    if type_name.startswith("dict["):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {_kind(value)}"]
        inner = type_name[5:-1].split(", ", 1)[1]
        out = []
        for k, v in value.items():
            if v is None and (owner, f"{path.rsplit('.', 1)[-1]}.*") in KNOWN_DEFECTS:  # null values
                continue
            out += strict_problems(models, inner, v, f"{path}.{k}", owner)
        return out
    scalar = SCALARS.get(type_name)
    if scalar is not None:
        return [] if scalar(value) else [f"{path}: expected {type_name}, got {_kind(value)} {value!r:.60}"]
    klass = getattr(models, type_name)
    if not isinstance(value, dict):
        return [f"{path}: expected a {type_name} object, got {_kind(value)}"]
    if getattr(klass, "discriminator_value_class_map", None):
        return []  # a polymorphic model (list filters): its branches are not walked
    declared = {json_key: attr for attr, json_key in klass.attribute_map.items()}
    out = [
        f"{path}.{key}: not a key of {type_name}"
        for key in value
        if key not in declared and (type_name, key) not in KNOWN_DEFECTS
    ]
    required = required_keys(klass)
    out += [f"{path}.{key}: required by {type_name}, missing" for key in sorted(required) if key not in value]
    for key, v in value.items():
        attr = declared.get(key)
        if attr is None:
            continue
        if v is None:
            if key in required:
                out.append(f"{path}.{key}: required by {type_name}, null")
            continue
        defect = KNOWN_DEFECTS.get((type_name, key))
        if defect is not None and defect.also is not None and SCALARS[defect.also](v):
            continue
        out += strict_problems(models, klass.openapi_types[attr], v, f"{path}.{key}", type_name)
    return out


def required_keys(klass: type) -> set[str]:
    """The JSON keys the client's model refuses to leave None when validating (its setters say
    "must not be `None`"); an optional enum's setter refuses None with another message."""
    out = set()
    for attr, json_key in klass.attribute_map.items():
        instance = klass.__new__(klass)
        config = type(_default_configuration(klass))()
        config.client_side_validation = True
        instance.local_vars_configuration = config
        try:
            setattr(instance, attr, None)
        except ValueError as exc:
            if "must not be `None`" in str(exc):
                out.add(json_key)
    return out


def _default_configuration(klass: type) -> Any:
    package = importlib.import_module(klass.__module__.rsplit(".models.", 1)[0])
    return package.Configuration()


def _is_datetime(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


SCALARS: dict[str, Callable[[Any], bool]] = {
    "str": lambda v: isinstance(v, str),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "datetime": _is_datetime,
    "date": _is_datetime,
    "object": lambda v: True,
}


def _operation(frame: Any) -> str:
    """`crm.objects.batch_api.read` for a call made from hubspot.crm.objects.api.batch_api's
    `read_with_http_info`."""
    module = frame.f_globals.get("__name__", "?").removeprefix("hubspot.").replace(".api.", ".")
    return f"{module}.{frame.f_code.co_name.removesuffix('_with_http_info')}"


def _json(data: Any, problems: list[str]) -> Any:
    try:
        return json.loads(data)
    except (TypeError, ValueError):
        problems.append(f"not JSON: {data!r:.200}")
        return None


def _kind(value: Any) -> str:
    return type(value).__name__


class _Raw:
    """What `ApiClient.deserialize` reads: an object with `.data`."""

    def __init__(self, data: str):
        self.data = data
