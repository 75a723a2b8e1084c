"""The league table (红黑榜) of a month, ranked from the compliance report's rows."""

from typing import Any

# Only groups with at least this many valid call-backs in the month are ranked.
MIN_VALID_CALLBACKS = 5
LIST_LENGTH = 5

# The figures behind each place, in the order the files show them.
LEAGUE_FIGURES = (
    "valid_callbacks",
    "callbacks_contacted",
    "callbacks_solved",
    "callbacks_partly_solved",
    "ratings_satisfied",
    "response_rate",
    "resolution_rate",
    "satisfaction_rate",
    "composite_score",
    "closed",
    "on_time_rate",
    "reopened",
)

LEAGUE_DEFINITIONS = f"""\
The month's grids or workers (`group_by`) with at least {MIN_VALID_CALLBACKS} valid call-backs
in it, ranked by `composite_score` (highest first; ties by more valid call-backs, then by
`group`), each with the figures of the compliance report for the month (same definitions):
`rows` all of them with their `rank`; `red` (红榜) the first {LIST_LENGTH}; `black` (黑榜) the
last {LIST_LENGTH}, lowest first, leaving out those already on the red list (fewer than
{2 * LIST_LENGTH} ranked: the black list is shorter). A caller with an area ranks its grids
(or the workers' facts in its grids) only.
"""


def league(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """{rows, red, black} from the compliance report's rows for the month."""
    eligible = [
        row
        for row in rows
        if row["valid_callbacks"] >= MIN_VALID_CALLBACKS and row["composite_score"] is not None
    ]
    eligible.sort(key=lambda r: (-r["composite_score"], -r["valid_callbacks"], r["group"]))
    ranked = [
        {
            "rank": rank,
            "group": row["group"],
            "name": row["name"],
            **{figure: row[figure] for figure in LEAGUE_FIGURES},
        }
        for rank, row in enumerate(eligible, start=1)
    ]
    red = ranked[:LIST_LENGTH]
    black = list(reversed(ranked[LIST_LENGTH:]))[:LIST_LENGTH]
    return {"rows": ranked, "red": red, "black": black}
