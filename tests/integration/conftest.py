"""The service in-process (FastAPI's TestClient) over a real PostgreSQL."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from domain.vocabulary import Role
from infra.areas import SAMPLE_FILE, read_area_file
from infra.bootstrap import Services, bootstrap
from infra.projections import BackgroundProjectors
from infra.settings import Settings


@pytest.fixture(scope="session")
def services(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    settings = Settings(database_url=database_url, data_dir=Path(tmp_path_factory.mktemp("var")))
    built = bootstrap(settings)
    built.areas.load(read_area_file(SAMPLE_FILE))
    yield built
    built.close()


@pytest.fixture(scope="session")
def client(services: Services) -> Iterator[TestClient]:
    projectors = BackgroundProjectors(services.cases, services.connect).start()
    with TestClient(create_app(services)) as test_client:
        yield test_client
    projectors.stop()


@dataclass(frozen=True)
class Person:
    id: str
    role: str
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class People:
    clerk: Person
    worker: Person
    other_worker: Person
    supervisor: Person
    auditor: Person


@pytest.fixture(scope="session")
def people(services: Services) -> People:
    def person(name: str, role: Role) -> Person:
        user, token = services.users.add(name, role, "tiansheng")
        return Person(str(user.id), user.role, token)

    return People(
        clerk=person("窗口 陈", Role.CLERK),
        worker=person("网格员 王芳", Role.WORKER),
        other_worker=person("网格员 刘伟", Role.WORKER),
        supervisor=person("书记 赵敏", Role.SUPERVISOR),
        auditor=person("审计 孙", Role.AUDITOR),
    )


class Api:
    """A case's commands as one person sends them."""

    def __init__(self, client: TestClient, person: Person):
        self.client = client
        self.person = person

    def post(self, path: str, body: Any, **headers: str) -> Any:
        return self.client.post(path, json=body, headers={**self.person.auth, **headers})

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params=params, headers=self.person.auth)

    def new_case(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/cases", body)
        assert response.status_code == 201, response.text
        return response.json()

    def command(self, case_id: str, action: str, body: dict[str, Any], **headers: str) -> Any:
        return self.post(f"/cases/{case_id}/{action}", body, **headers)


@pytest.fixture
def as_worker(client: TestClient, people: People) -> Api:
    return Api(client, people.worker)


@pytest.fixture
def as_clerk(client: TestClient, people: People) -> Api:
    return Api(client, people.clerk)


@pytest.fixture
def as_supervisor(client: TestClient, people: People) -> Api:
    return Api(client, people.supervisor)
