"""The matter a resident brings, as the clerk takes it down at intake."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Matter:
    """What a case is about and where; the Received event records each field as its own
    (category and channel as plain strings)."""

    category: str
    channel: str
    title: str
    description: str
    grid_id: str
