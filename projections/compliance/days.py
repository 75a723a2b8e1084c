"""Received and closed, day by day, from the compliance model's daily totals (never by
replaying cases): the dashboard's curve of the last days.

Each day's figures are the compliance report's for that one day: a case closed twice on
the same day (closed, reopened, closed again) counts once, by its last closure, as the
report counts it over a period.
"""

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

import psycopg

# The daily totals per grid (the dimension every case has exactly one key in), summed over
# the caller's grids; and the closures another closure of the same case followed on the
# same local day, taken back.
BY_DAY = """
SELECT day, sum(received)::bigint AS received, sum(closed)::bigint AS closed
  FROM cr_daily
 WHERE dimension = 'grid' AND day >= %(first)s AND day <= %(last)s
   AND (%(grids)s::text[] IS NULL OR key = ANY(%(grids)s))
 GROUP BY day
"""
CLOSED_AGAIN_SAME_DAY = """
SELECT (closed_at AT TIME ZONE %(zone)s)::date AS day, count(*) AS n
  FROM cr_closures
 WHERE closed_at >= %(start)s AND closed_at < %(end)s
   AND next_closed_at < 'infinity' AND next_closed_at < %(end)s
   AND (next_closed_at AT TIME ZONE %(zone)s)::date = (closed_at AT TIME ZONE %(zone)s)::date
   AND (%(grids)s::text[] IS NULL OR grid_id = ANY(%(grids)s))
 GROUP BY 1
"""


def received_and_closed_by_day(
    conn: psycopg.Connection[Any],
    first: date,
    last: date,
    zone: tzinfo,
    grids: list[str] | None = None,
) -> list[dict[str, Any]]:
    """[{day, received, closed}] for every day from ``first`` to ``last`` (both included,
    local days of ``zone``), days without a fact at 0; ``grids``: only these grids' cases
    (None: the whole city)."""
    params = {
        "first": first,
        "last": last,
        "grids": grids,
        "zone": str(zone),
        "start": datetime.combine(first, time(), tzinfo=zone),
        "end": datetime.combine(last + timedelta(days=1), time(), tzinfo=zone),
    }
    with conn.transaction(), conn.cursor() as cursor:
        # Both statements see the read model as of one moment.
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        totals = {row[0]: (int(row[1]), int(row[2])) for row in cursor.execute(BY_DAY, params)}
        again = dict(cursor.execute(CLOSED_AGAIN_SAME_DAY, params).fetchall())
    days = []
    day = first
    while day <= last:
        received, closed = totals.get(day, (0, 0))
        days.append({"day": day, "received": received, "closed": closed - int(again.get(day, 0))})
        day += timedelta(days=1)
    return days
