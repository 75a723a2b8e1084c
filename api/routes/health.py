"""Liveness and database reachability, without authentication."""

from fastapi import APIRouter

from api.dependencies import ServicesDep
from api.problems import PROBLEM_RESPONSES

router = APIRouter(tags=["health"])


@router.get("/health", responses={503: PROBLEM_RESPONSES[503]})
def health(services: ServicesDep) -> dict[str, str]:
    with services.pool.connection() as conn:
        conn.execute("SELECT 1")
    return {"status": "ok", "database": "ok"}
