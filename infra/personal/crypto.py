"""The cryptography of personal data, all in one place, on the ``cryptography`` package.

- A sealed value is AES-256-GCM ciphertext under one resident's data key, or, when it
  concerns several residents (a mediation's participants), under a key derived with HKDF
  from all of their keys, so it opens only while every one of them still exists.
- The associated data binds a sealed value to its case, event version and place in the
  event, so it cannot be moved to another event unnoticed.
- Data keys may be wrapped (AES-256-GCM) by a master key from the environment.
- Phones are matched by HMAC-SHA256 of the normalised number under the lookup key.
"""

import base64
import binascii
import hashlib
import hmac
import os
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from infra.personal.phones import normalise_phone

KEY_BYTES = 32
NONCE_BYTES = 12
SEALED = "_sealed"  # the marker of a sealed value inside a stored event's state
FORMAT = "aes256gcm-v1"


class SealError(Exception):
    """A sealed value cannot be opened with the keys that exist: tampered, or wrong keys."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _key_for(keys: list[tuple[str, bytes]]) -> bytes:
    if len(keys) == 1:
        return keys[0][1]
    info = ("casework-personal-multi-v1|" + "|".join(rid for rid, _ in keys)).encode()
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=info)
    return hkdf.derive(b"".join(key for _, key in keys))


def _aad(context: str, resident_ids: list[str]) -> bytes:
    return f"{FORMAT}|{context}|{','.join(resident_ids)}".encode()


def seal(plaintext: bytes, keys: list[tuple[str, bytes]], context: str) -> dict[str, Any]:
    """Encrypt under the given (resident_id, data key) pairs, all needed to open it again."""
    if not keys:
        raise ValueError("sealing needs at least one resident's key")
    resident_ids = [rid for rid, _ in keys]
    nonce = os.urandom(NONCE_BYTES)
    data = AESGCM(_key_for(keys)).encrypt(nonce, plaintext, _aad(context, resident_ids))
    return {SEALED: FORMAT, "keys": resident_ids, "nonce": _b64(nonce), "data": _b64(data)}


def is_sealed(value: Any) -> bool:
    return isinstance(value, dict) and SEALED in value


def sealed_for(box: dict[str, Any]) -> list[str]:
    """The residents whose keys a sealed value needs."""
    return [str(rid) for rid in box["keys"]]


def open_sealed(box: dict[str, Any], keys: dict[str, bytes], context: str) -> bytes:
    if box.get(SEALED) != FORMAT:
        raise SealError(f"unknown sealing format {box.get(SEALED)!r}")
    resident_ids = sealed_for(box)
    try:
        pairs = [(rid, keys[rid]) for rid in resident_ids]
        return AESGCM(_key_for(pairs)).decrypt(
            _unb64(box["nonce"]), _unb64(box["data"]), _aad(context, resident_ids)
        )
    except (InvalidTag, KeyError, ValueError, binascii.Error) as error:
        raise SealError(f"a sealed value at {context} does not open") from error


# -- wrapping data keys under the master key -----------------------------------------


def master_key_id(master_key: bytes) -> str:
    """A short public name of a master key, to tell which one wrapped a data key."""
    return hashlib.sha256(b"casework-master-key-id|" + master_key).hexdigest()[:16]


def wrap(master_key: bytes, resident_id: str, data_key: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    aad = f"casework-resident-key-v1|{resident_id}".encode()
    return nonce + AESGCM(master_key).encrypt(nonce, data_key, aad)


def unwrap(master_key: bytes, resident_id: str, wrapped: bytes) -> bytes:
    aad = f"casework-resident-key-v1|{resident_id}".encode()
    try:
        return AESGCM(master_key).decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], aad)
    except InvalidTag as error:
        raise SealError(f"the data key of resident {resident_id} does not unwrap") from error


def parse_secret(text: str, setting: str, exact: int | None = None) -> bytes:
    """A key given in the environment as base64 (``openssl rand -base64 32``)."""
    try:
        raw = base64.b64decode(text.strip() + "=" * (-len(text.strip()) % 4), validate=False)
    except (binascii.Error, ValueError):
        raw = b""
    if exact is not None and len(raw) != exact:
        raise ValueError(f"{setting} must be {exact} bytes in base64 (openssl rand -base64 32)")
    if len(raw) < KEY_BYTES:
        raise ValueError(
            f"{setting} must be at least {KEY_BYTES} bytes in base64 (openssl rand -base64 32)"
        )
    return raw


# -- the phone's keyed hash -------------------------------------------------------------


def phone_hash(lookup_key: bytes, phone: str) -> bytes:
    """Over the canonical form: for a Chinese number the same digits as before phones were
    normalised with ``phonenumbers``, so earlier lookups still match."""
    message = b"casework-phone-v1|" + normalise_phone(phone).encode()
    return hmac.new(lookup_key, message, hashlib.sha256).digest()
