"""One-time sign-in links (casework users link): once, before they expire, and only while
the user's token is the one they were issued under."""

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.vocabulary import Role
from infra.bootstrap import Services
from infra.sessions import Sessions


@pytest.fixture
def sessions(services: Services) -> Sessions:
    sessions = Sessions(services.pool)
    sessions.create_schema()  # as the service does when it starts
    return sessions


def test_a_link_opens_one_session_for_its_user(services: Services, sessions: Sessions) -> None:
    user, _token = services.users.add("李娜", Role.WORKER, "tiansheng-01")
    secret = sessions.issue_link(user.id, timedelta(minutes=5))
    assert secret is not None
    assert sessions.link_valid(secret)
    assert sessions.link_valid(secret)  # looking does not spend it
    opened = sessions.open_by_link(secret)
    assert opened is not None
    session = sessions.find(opened)
    assert session is not None and session.user.id == user.id
    assert not sessions.link_valid(secret)
    assert sessions.open_by_link(secret) is None  # the second use


def test_an_expired_or_tampered_link_signs_nobody_in(
    services: Services, sessions: Sessions
) -> None:
    user, _token = services.users.add("李娜", Role.WORKER, "tiansheng-01")
    expired = sessions.issue_link(user.id, timedelta(seconds=-1))
    assert expired is not None
    assert sessions.open_by_link(expired) is None
    fresh = sessions.issue_link(user.id, timedelta(minutes=5))
    assert fresh is not None
    assert sessions.open_by_link(fresh[:-1] + ("A" if fresh[-1] != "A" else "B")) is None
    assert sessions.open_by_link(fresh) is not None  # the untampered one still works


def test_a_link_dies_with_the_token_it_was_issued_under(
    services: Services, sessions: Sessions
) -> None:
    user, _token = services.users.add("李娜", Role.WORKER, "tiansheng-01")
    before_rotation = sessions.issue_link(user.id, timedelta(minutes=5))
    assert before_rotation is not None
    services.users.rotate(user.id)
    assert sessions.open_by_link(before_rotation) is None
    before_revocation = sessions.issue_link(user.id, timedelta(minutes=5))
    assert before_revocation is not None
    services.users.revoke(user.id)
    assert sessions.open_by_link(before_revocation) is None
    assert sessions.issue_link(user.id, timedelta(minutes=5)) is None  # revoked: none issued
    assert sessions.issue_link(uuid4(), timedelta(minutes=5)) is None  # no such user
