"""The micro-wish board (微心愿): what anyone may read and what a claimant does, shared by
the board's JSON routes (api/routes/board.py) and its pages (api/pages/board.py).

What the board shows of a wish, and why no more: the description, the resident and the
parties are never shown. Staff write the wish's circumstances into the description ("3号楼
2单元301的独居老人…"), and the resident's name, phone and address live in the personal
part; none of it may leave the office (PIPL). The board shows the title, the category, the
grid's name and how long the wish has waited. The title is staff's words too: a title that
holds the resident's (or a party's) recorded name, phone, address or ID number, a run of
seven digits or more (a phone or an ID number of anyone), a door number ("3号楼", "301室"),
or whose resident was erased, is replaced by the category ("物品类微心愿"); see ``public_title``.
"""

import re
import threading
from datetime import datetime
from typing import Any
from uuid import UUID

from cachetools import TTLCache

from api.access import Access
from api.i18n import _
from api.pages import messages
from api.problems import bad_field
from domain.time_limits import local_day, working_days_after
from infra.bootstrap import Services
from projections.wish_claims.queries import claimant_records, claims_log, held_by

# How many open wishes a board lists at most (the oldest first: they have waited longest).
BOARD_LIMIT = 500
_DIGITS = re.compile(r"\d{7,}")
# A door of a building: "3号楼", "2单元", "301室", "5栋": an address, whoever's it is.
_DOOR = re.compile(r"\d+\s*(号楼|号|栋|幢|单元|室|层|楼)")
# Whether a wish's title may be shown: decided once per wish from its recorded personal
# data (titles never change; an erasure only ever hides more, see public_title).
_SAFE_TITLES: TTLCache[UUID, bool] = TTLCache(maxsize=100_000, ttl=3600)
_SAFE_LOCK = threading.Lock()


def board_area(services: Services, area: str | None) -> tuple[list[str] | None, str | None]:
    """The grids of a board's area (None: the whole city) and the area's name; an area the
    reference data does not know is a bad query parameter."""
    if area is None:
        return None, None
    with services.pool.connection() as conn:
        row = conn.execute("SELECT name FROM casework_areas WHERE id = %s", (area,)).fetchone()
    if row is None:
        raise bad_field(
            ["query", "area"],
            _("no area '{area}' in the reference data (a street, community or grid id)", area=area),
            "unknown_area",
        )
    return services.areas.grids_within(area), row[0]


def open_wishes(services: Services, grids: list[str] | None, now: datetime) -> list[dict[str, Any]]:
    """The micro-wishes of ``grids`` (None: all) open to a claim now: not claimed, not
    suspended, not closed; from the case list read model, the longest waiting first. Each
    with the fields of api.routes.board's BoardWishOut."""
    with services.pool.connection() as conn:
        rows = conn.execute(
            "SELECT c.id, c.title, c.category, c.grid_id, coalesce(g.name, c.grid_id),"
            " c.received_at FROM rm_cases c LEFT JOIN casework_areas g ON g.id = c.grid_id"
            " WHERE c.kind = 'micro_wish' AND c.closed_at IS NULL AND NOT c.claimed"
            " AND c.suspended_since IS NULL AND (%(all)s OR c.grid_id = ANY(%(grids)s))"
            " ORDER BY c.received_at, c.id LIMIT %(limit)s",
            {"all": grids is None, "grids": grids or [], "limit": BOARD_LIMIT},
        ).fetchall()
    return [wish(services, *row, now=now) for row in rows]


def wish(
    services: Services,
    case_id: UUID,
    title: str,
    category: str,
    grid_id: str,
    grid_name: str,
    received_at: datetime,
    now: datetime,
) -> dict[str, Any]:
    zone = services.settings.zone
    received, today = local_day(received_at, zone), local_day(now, zone)
    return {
        "id": case_id,
        "title": public_title(services, case_id, title, category),
        "category": category,
        "category_name": category_name(category),
        "grid_id": grid_id,
        "grid_name": grid_name,
        "received_at": received_at,
        "waited_days": max((today - received).days, 0),
        "waited_working_days": working_days_after(received, today, services.cases.calendar)
        if today > received
        else 0,
    }


def category_name(category: str) -> str:
    return messages.CATEGORIES["micro_wish"].get(category, category)


def public_title(services: Services, case_id: UUID, title: str, category: str) -> str:
    """The title, unless it may name the resident (see the module's doc): then the
    category's words. Checked against the case's personal data once per wish."""
    with _SAFE_LOCK:
        safe = _SAFE_TITLES.get(case_id)
    if safe is None:
        safe = _title_is_safe(services, case_id, title)
        with _SAFE_LOCK:
            _SAFE_TITLES[case_id] = safe
    if safe:
        return title
    return f"{category_name(category).removesuffix('类')}类微心愿"


def _title_is_safe(services: Services, case_id: UUID, title: str) -> bool:
    if _DIGITS.search(title) or _DOOR.search(title):
        return False
    # Loaded only to compare, never shown: this is no read of a person (no read log).
    case = services.cases.get_case(case_id)
    people = [case.resident, *case.parties]
    for person in people:
        if not isinstance(person, dict) or person.get("erased"):
            return False  # nothing left to compare with: show nothing of the title
        for field in ("name", "phone", "address", "id_number"):
            value = person.get(field)
            if isinstance(value, str) and len(value.strip()) >= 2 and value.strip() in title:
                return False
    return True


def held_wishes(services: Services, claimant: str) -> list[dict[str, Any]]:
    """The wishes ``claimant`` holds now (from the claims read model), as the board shows
    them, with when they were claimed and fulfilled."""
    with services.pool.connection() as conn:
        rows = held_by(conn, claimant)
        names = dict(
            conn.execute(
                "SELECT id, name FROM casework_areas WHERE id = ANY(%s)",
                (sorted({row["grid_id"] for row in rows}),),
            ).fetchall()
        )
    return [
        {
            **row,
            "title": public_title(services, row["id"], row["title"], row["category"]),
            "category_name": category_name(row["category"]),
            "grid_name": names.get(row["grid_id"], row["grid_id"]),
        }
        for row in rows
    ]


def _grids(access: Access) -> list[str] | None:
    return None if access.grids is None else sorted(access.grids)


def claims_of(
    services: Services, access: Access, since: datetime | None = None
) -> list[dict[str, Any]]:
    """The claims of the wishes in the caller's area, newest first, with the names of who
    claimed and who released (for the community: GET /board/claims, /app/board/claims)."""
    with services.pool.connection() as conn:
        rows = claims_log(conn, _grids(access), since, limit=500)
    names = services.users.names([row[f] for row in rows for f in ("claimant", "released_by")])
    return [
        {
            **row,
            "claimant_name": names.get(row["claimant"]),
            "released_by_name": names.get(row["released_by"] or ""),
        }
        for row in rows
    ]


def claimants_of(services: Services, access: Access) -> list[dict[str, Any]]:
    """Each claimant's record over the caller's area, with their name and the satisfaction
    rate of the residents' verdicts ((satisfied + basically satisfied) / valid)."""
    with services.pool.connection() as conn:
        rows = claimant_records(conn, _grids(access))
    names = services.users.names(row["claimant"] for row in rows)
    for row in rows:
        valid, happy = row["valid_callbacks"], row["satisfied"] + row["basically_satisfied"]
        row["claimant_name"] = names.get(row["claimant"])
        row["satisfaction_rate"] = round(happy / valid, 4) if valid else None
    return rows
