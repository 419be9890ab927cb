"""Pipelines API (`/crm/v3/pipelines/{objectType}`) and the default deal pipeline of a fresh portal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from ..clock import iso_z
from . import errors
from .default_properties import INSTALLED_AT
from .http import json_body, json_response, no_content

if TYPE_CHECKING:
    from .emulator import HubSpotEmulator

DEFAULT_DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)


def pipelines_table(type_id: str) -> str:
    return f"pipelines:{type_id}"


def stage(stage_id: str, label: str, order: int, metadata: dict[str, str], now: str) -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "metadata": metadata,
        "createdAt": now,
        "updatedAt": now,
        "archived": False,
        "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT",
    }


def default_deal_pipeline() -> dict[str, Any]:
    stages = [
        stage(sid, label, i, {"probability": p, "isClosed": closed}, INSTALLED_AT)
        for i, (sid, label, p, closed) in enumerate(DEFAULT_DEAL_STAGES)
    ]
    return {
        "id": "default",
        "label": "Sales Pipeline",
        "displayOrder": 0,
        "stages": stages,
        "createdAt": INSTALLED_AT,
        "updatedAt": INSTALLED_AT,
        "archived": False,
    }


class PipelineRoutes:
    """Pipelines and their stages; deal writes are checked against these."""

    def __init__(self, em: HubSpotEmulator):
        self.em = em

    def add(self, router: web.UrlDispatcher) -> None:
        base = "/crm/v3/pipelines/{type}"
        router.add_get(base, self.list_all)
        router.add_post(base, self.create)
        router.add_get(base + "/{pid}", self.get)
        router.add_patch(base + "/{pid}", self.update)
        router.add_put(base + "/{pid}", self.update)
        router.add_delete(base + "/{pid}", self.archive)
        router.add_get(base + "/{pid}/stages", self.list_stages)
        router.add_post(base + "/{pid}/stages", self.create_stage)
        router.add_get(base + "/{pid}/stages/{sid}", self.get_stage)
        router.add_patch(base + "/{pid}/stages/{sid}", self.update_stage)
        router.add_delete(base + "/{pid}/stages/{sid}", self.archive_stage)

    def _table(self, request: web.Request) -> tuple[str, dict[str, dict[str, Any]]]:
        name = pipelines_table(self.em.registry.resolve(request.match_info["type"]).type_id)
        return name, self.em.store.table(name)

    def _pipeline(self, request: web.Request) -> tuple[str, dict[str, Any]]:
        name, table = self._table(request)
        found = table.get(request.match_info["pid"])
        if found is None or found["archived"]:
            raise errors.not_found(f"Pipeline {request.match_info['pid']} not found")
        return name, found

    def _stages(self, now: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [
            stage(
                str(self.em.store.next_counter("stage_id", 1_000_001)),
                s["label"],
                s.get("displayOrder", i),
                {k: str(v) for k, v in (s.get("metadata") or {}).items()},
                now,
            )
            for i, s in enumerate(items)
        ]

    async def list_all(self, request: web.Request) -> web.Response:
        _, table = self._table(request)
        return json_response({"results": [p for p in table.values() if not p["archived"]]})

    async def create(self, request: web.Request) -> web.Response:
        name, _ = self._table(request)
        body, now = await json_body(request), iso_z(self.em.clock.now())
        if not body.get("label") or not isinstance(body.get("stages"), list):
            raise errors.validation("A pipeline needs label and stages")
        pipeline = {
            "id": str(self.em.store.next_counter("pipeline_id", 10_000_001)),
            "label": body["label"],
            "displayOrder": body.get("displayOrder", 0),
            "stages": self._stages(now, body["stages"]),
            "createdAt": now,
            "updatedAt": now,
            "archived": False,
        }
        self.em.store.put(name, pipeline["id"], pipeline)
        return json_response(pipeline, 201)

    async def get(self, request: web.Request) -> web.Response:
        return json_response(self._pipeline(request)[1])

    async def update(self, request: web.Request) -> web.Response:
        name, pipeline = self._pipeline(request)
        body, now = await json_body(request), iso_z(self.em.clock.now())
        pipeline = {
            **pipeline,
            **{k: v for k, v in body.items() if k in ("label", "displayOrder")},
            "updatedAt": now,
        }
        if request.method == "PUT" and isinstance(body.get("stages"), list):
            pipeline["stages"] = self._stages(now, body["stages"])
        self.em.store.put(name, pipeline["id"], pipeline)
        return json_response(pipeline)

    async def archive(self, request: web.Request) -> web.Response:
        name, pipeline = self._pipeline(request)
        now = iso_z(self.em.clock.now())
        self.em.store.put(name, pipeline["id"], {**pipeline, "archived": True, "archivedAt": now})
        return no_content()

    async def list_stages(self, request: web.Request) -> web.Response:
        return json_response(
            {"results": [s for s in self._pipeline(request)[1]["stages"] if not s["archived"]]}
        )

    async def create_stage(self, request: web.Request) -> web.Response:
        name, pipeline = self._pipeline(request)
        body, now = await json_body(request), iso_z(self.em.clock.now())
        if not body.get("label"):
            raise errors.validation("A stage needs a label")
        new = self._stages(now, [body])[0]
        self.em.store.put(
            name, pipeline["id"], {**pipeline, "stages": [*pipeline["stages"], new], "updatedAt": now}
        )
        return json_response(new, 201)

    def _stage(self, request: web.Request) -> tuple[str, dict[str, Any], int]:
        name, pipeline = self._pipeline(request)
        for index, s in enumerate(pipeline["stages"]):
            if s["id"] == request.match_info["sid"] and not s["archived"]:
                return name, pipeline, index
        raise errors.not_found(f"Stage {request.match_info['sid']} not found")

    async def get_stage(self, request: web.Request) -> web.Response:
        _, pipeline, index = self._stage(request)
        return json_response(pipeline["stages"][index])

    async def update_stage(self, request: web.Request) -> web.Response:
        name, pipeline, index = self._stage(request)
        body, now = await json_body(request), iso_z(self.em.clock.now())
        changed = {
            **pipeline["stages"][index],
            **{k: v for k, v in body.items() if k in ("label", "displayOrder")},
        }
        if "metadata" in body:
            changed["metadata"] = {k: str(v) for k, v in body["metadata"].items()}
        changed["updatedAt"] = now
        stages = [*pipeline["stages"]]
        stages[index] = changed
        self.em.store.put(name, pipeline["id"], {**pipeline, "stages": stages})
        return json_response(changed)

    async def archive_stage(self, request: web.Request) -> web.Response:
        name, pipeline, index = self._stage(request)
        now = iso_z(self.em.clock.now())
        stages = [*pipeline["stages"]]
        stages[index] = {**stages[index], "archived": True, "archivedAt": now}
        self.em.store.put(name, pipeline["id"], {**pipeline, "stages": stages})
        return no_content()
