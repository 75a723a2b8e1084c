"""The plain design a team would build without casework: the baseline of the benchmark.

``uvicorn bench.baseline_app:app`` with the eventsourcing library's settings in the
environment (PERSISTENCE_MODULE=eventsourcing.postgres, POSTGRES_*). One small aggregate,
one Application with the library's defaults, one save per POST /cases, a plain ``def``
endpoint (the library is synchronous). No authorisation, no idempotency, no deadlines, no
personal-data sealing, no read models: just the event store behind an endpoint.
Never run as ``__main__``: the events' topics name this module.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from fastapi import FastAPI, Request
from pydantic import BaseModel


class Case(Aggregate):
    @event("Received")
    def __init__(self, kind: str, category: str, title: str, description: str, grid: str):
        self.kind = kind
        self.category = category
        self.title = title
        self.description = description
        self.grid = grid


class Cases(Application[UUID]):
    def receive(self, kind: str, category: str, title: str, description: str, grid: str) -> UUID:
        case = Case(kind, category, title, description, grid)
        self.save(case)
        return case.id


class Intake(BaseModel):
    kind: str
    category: str
    channel: str
    title: str
    description: str
    grid_id: str
    resident: dict[str, Any]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.cases = Cases()
    try:
        yield
    finally:
        app.state.cases.close()


app = FastAPI(title="bench baseline", lifespan=lifespan)


@app.post("/cases", status_code=201)
def receive(body: Intake, request: Request) -> dict[str, str]:
    cases: Cases = request.app.state.cases
    case_id = cases.receive(body.kind, body.category, body.title, body.description, body.grid_id)
    return {"id": str(case_id)}


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
