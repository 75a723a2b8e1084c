"""Residents' personal data: identified by a keyed hash, encrypted per resident, erasable.

- ``crypto``: AES-256-GCM sealing of personal values, key wrapping, the phone's keyed hash.
- ``keys``: the per-resident data keys (``casework_resident_keys``) and the service's secrets.
- ``residents``: who a resident is (``resident_id`` from the phone), lookup, erasure.
- ``mapper``: the eventsourcing mapper that seals events' personal parts before storage
  and opens them on load, so the domain never sees ciphertext.
- ``masking``: who sees personal data in clear, and how everyone else sees it.
"""
