"""One way to write a phone number, whatever way it came in (``phonenumbers``, region CN).

The canonical form is the number as it is dialled inside China for a Chinese number (a mobile's
11 digits ``13812345678``, a landline with its area code ``01065521234``) and E.164 for any
other country (``+85291234567``). Chinese numbers keep the digits-only form the resident lookup
was built on before, so the keyed hash of a phone filed earlier still matches.
"""

import re

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

REGION = "CN"
CHINA = 86
# What people put in a phone number besides digits; anything else (letters, 转 for an
# extension) is refused rather than guessed at.
_WRITTEN = re.compile(r"^[0-9+()\s.\-]+$")


def normalise_phone(phone: str) -> str:
    """The canonical form; ValueError, in plain words, for what is no phone number."""
    if not _WRITTEN.match(phone):
        raise ValueError("a phone number holds only digits, spaces, +, -, . and parentheses")
    try:
        number = phonenumbers.parse(phone, REGION)
    except NumberParseException:
        raise ValueError(f"{phone!r} is not a valid phone number") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(
            f"{phone!r} is not a valid phone number: a mobile has 11 digits (13812345678), "
            "a landline its area code (010 6552 1234), a number abroad its country code (+852 ...)"
        )
    if number.country_code == CHINA:
        return re.sub(r"\D", "", phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def normalised_or_as_written(phone: str) -> str:
    """For numbers stored before they were normalised at intake: the canonical form if it
    has one, else the number as it was written."""
    try:
        return normalise_phone(phone)
    except ValueError:
        return phone
