"""The matter a resident brings, as the clerk takes it down at intake."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Matter:
    """What a case is about and where; the Received event records each field as its own."""

    category: str
    channel: str
    title: str
    description: str
    grid_id: str

    def __post_init__(self) -> None:
        # A category or channel may come as its enum member: the event records plain text.
        object.__setattr__(self, "category", str(self.category))
        object.__setattr__(self, "channel", str(self.channel))
