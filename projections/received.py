"""What every read model takes from a case's Received event."""

from typing import Any


def received_fields(event: Any, *copied: str) -> dict[str, Any]:
    """The case's kind, named by the event's stable topic (``casework:dispute``), and the
    event's fields named in ``copied``, as they were received."""
    return {
        "kind": event.originator_topic.rsplit(":", 1)[-1],
        **{name: getattr(event, name) for name in copied},
    }
