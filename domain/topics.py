"""Stable names for stored events, independent of where the classes live in code.

The library names a stored event by its class's module path by default, so moving or
renaming a class would orphan every stored event of it. Instead each aggregate class
and each of its event classes gets a fixed topic such as ``casework:dispute.Received``,
registered so that stored history resolves whatever the code's layout. When a topic
itself must ever change, register the old one as an alias here too.
"""

from eventsourcing.domain import Aggregate, CanMutateAggregate
from eventsourcing.utils import register_topic

PREFIX = "casework"


def register_stable_topics(aggregate_class: type[Aggregate], name: str) -> None:
    _fix_topic(aggregate_class, f"{PREFIX}:{name}")
    for event_name, member in list(vars(aggregate_class).items()):
        if isinstance(member, type) and issubclass(member, CanMutateAggregate):
            _fix_topic(member, f"{PREFIX}:{name}.{event_name}")


def _fix_topic(cls: type, topic: str) -> None:
    # Set on the class itself, so a subclass never inherits its parent's topic.
    cls.TOPIC = topic  # type: ignore[attr-defined]
    register_topic(topic, cls)
