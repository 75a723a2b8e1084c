"""The event store's mapper: residents' personal data sealed before storage, opened on load.

The library resolves this class from ``MAPPER_TOPIC`` (see ``infra.database``); the
bootstrap then attaches the residents' keys (``attach``). The domain never sees
ciphertext: its events keep their ``personal`` part in clear in memory, and only the
stored state is sealed. What is sealed, and under whose key:

- Received: ``personal.resident`` under the resident's key (``resident_id``); each
  ``personal.parties[i]`` under that party's (``party_resident_ids[i]``); the intake's
  ``request_hash`` (a hash of the whole request, personal data included) under all of
  the case's residents' keys.
- MediationHeld: ``personal.participants`` (free names) under the keys of all the case's
  residents not erased (``resident_ids``).

A value sealed under several keys opens only while every one of them exists. A value
whose key was erased loads as ``{"erased": true}``; everything else of the event (its
type, times, actor, resolution, ...) loads as before, so timelines and statistics stay.
"""

from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from infra.personal.crypto import is_sealed, open_sealed, seal, sealed_for
from infra.personal.keys import ResidentErased, ResidentKeys


def erased() -> dict[str, Any]:
    """What an erased personal value reads as, everywhere."""
    return {"erased": True}


class PersonalDataUnprotected(Exception):
    """Personal data was about to be stored without a key to seal it: refused."""


class PersonalDataMapper(Mapper[UUID]):
    keys: ResidentKeys | None = None

    def attach(self, keys: ResidentKeys) -> None:
        self.keys = keys

    def _keys(self) -> ResidentKeys:
        if self.keys is None:
            raise PersonalDataUnprotected(
                "the residents' keys are not attached to the event store's mapper"
            )
        return self.keys

    # -- storing ----------------------------------------------------------------------

    def to_stored_event(self, domain_event: Any) -> StoredEvent:
        state = vars(domain_event)
        if "personal" not in state:
            snapshot = state.get("state")
            if isinstance(snapshot, dict) and {"resident", "parties"} & set(snapshot):
                raise PersonalDataUnprotected(
                    "a snapshot of a case would store its residents' data unsealed: "
                    "snapshots are not supported with personal data"
                )
            return super().to_stored_event(domain_event)
        sealed = self._sealed_state(dict(state), type(domain_event).__name__)
        copy = object.__new__(type(domain_event))
        object.__setattr__(copy, "__dict__", sealed)
        return super().to_stored_event(copy)

    def _sealed_state(self, state: dict[str, Any], event_name: str) -> dict[str, Any]:
        where = f"{state['originator_id']}|{state['originator_version']}"
        personal = dict(state["personal"])
        if "resident_id" in state:  # Received: each person under their own key
            resident_id = state.get("resident_id")
            party_ids = list(state.get("party_resident_ids") or [])
            parties = list(personal.get("parties") or [])
            if not resident_id or len(party_ids) != len(parties):
                raise PersonalDataUnprotected(f"a {event_name} event without its residents' ids")
            everyone = _unique([resident_id, *party_ids])
            keys = self._sealing_keys(everyone, require_all=True)
            personal["resident"] = self._seal(
                personal["resident"], [resident_id], keys, f"{where}|personal.resident"
            )
            personal["parties"] = [
                self._seal(party, [rid], keys, f"{where}|personal.parties.{i}")
                for i, (party, rid) in enumerate(zip(parties, party_ids, strict=True))
            ]
            intake = state.get("intake")
            if isinstance(intake, dict) and intake.get("request_hash") is not None:
                state["intake"] = {
                    **intake,
                    "request_hash": self._seal(
                        intake["request_hash"], everyone, keys, f"{where}|intake.request_hash"
                    ),
                }
        else:  # any later event: under every key of the case still there
            resident_ids = _unique(state.get("resident_ids") or [])
            if not resident_ids:
                raise PersonalDataUnprotected(
                    f"a {event_name} event with personal data names no residents"
                )
            keys = self._sealing_keys(resident_ids, require_all=False)
            present = [rid for rid in resident_ids if keys[rid] is not None]
            if not present:
                raise ResidentErased(
                    "every resident of this case has been erased: no personal data can be "
                    "recorded for them any more"
                )
            personal = {
                name: self._seal(value, present, keys, f"{where}|personal.{name}")
                for name, value in personal.items()
            }
        state["personal"] = personal
        return state

    def _sealing_keys(self, resident_ids: list[str], require_all: bool) -> dict[str, Any]:
        keys = self._keys().keys(resident_ids, create=True)
        gone = [rid for rid in resident_ids if keys[rid] is None]
        if gone and require_all:
            raise ResidentErased(f"resident {gone[0]} has been erased")
        return keys

    def _seal(
        self, value: Any, resident_ids: list[str], keys: dict[str, Any], context: str
    ) -> dict[str, Any]:
        pairs = [(rid, keys[rid]) for rid in _unique(resident_ids)]
        return seal(self.transcoder.encode(value), pairs, context)

    # -- loading ----------------------------------------------------------------------

    def to_domain_event_sealed(self, stored_event: StoredEvent) -> Any:
        """The event with its personal data left sealed: for read models, which never show
        it, and would otherwise fetch a key and decrypt for every intake they apply."""
        return super().to_domain_event(stored_event)

    def to_domain_event(self, stored_event: StoredEvent) -> Any:
        event = super().to_domain_event(stored_event)
        state = vars(event)
        boxes = list(_sealed_values(state))
        if not boxes:
            return event
        needed = {rid for _, box, _ in boxes for rid in sealed_for(box)}
        keys = self._keys().keys(needed)
        where = f"{state['originator_id']}|{state['originator_version']}"
        for path, box, put in boxes:
            if any(keys[rid] is None for rid in sealed_for(box)):
                put(erased())
            else:
                plain = open_sealed(box, keys, f"{where}|{path}")  # type: ignore[arg-type]
                put(self.transcoder.decode(plain))
        return event


def _unique(resident_ids: list[str]) -> list[str]:
    return list(dict.fromkeys(str(rid) for rid in resident_ids))


def _sealed_values(state: dict[str, Any]) -> Any:
    """(path, sealed value, setter) for every sealed value of a loaded event's state."""
    personal = state.get("personal")
    if isinstance(personal, dict):
        for name, value in personal.items():
            if is_sealed(value):
                yield f"personal.{name}", value, _setter(personal, name)
            elif isinstance(value, list):
                for i, item in enumerate(value):
                    if is_sealed(item):
                        yield f"personal.{name}.{i}", item, _setter(value, i)
    intake = state.get("intake")
    if isinstance(intake, dict) and is_sealed(intake.get("request_hash")):
        yield "intake.request_hash", intake["request_hash"], _setter(intake, "request_hash")


def _setter(container: Any, key: Any) -> Any:
    def put(value: Any) -> None:
        container[key] = value

    return put
