"""No page or answer of the micro-wish board holds a resident's name, phone or address: wishes
are filed with known personal data (in the resident, the description and even the title),
then every board page and answer, public and the claimant's, is scanned for it."""

import re
from typing import Any

from fastapi.testclient import TestClient

from domain.vocabulary import ClaimantType
from infra.bootstrap import Services
from tests.helpers import intake
from tests.integration.conftest import Api

NAME, PHONE, ADDRESS = "欧阳秀兰", "13907310088", "天胜社区9号楼1单元602"
OTHER_NAME, OTHER_PHONE = "司马建国", "0731-85551234"
PERSONAL = (NAME, PHONE, "139****0088", ADDRESS, "9号楼1单元602", OTHER_NAME, "85551234")


def wish(as_clerk: Api, title: str, resident: dict[str, Any], grid_id: str) -> dict[str, Any]:
    return as_clerk.new_case(
        intake(
            "micro_wish",
            title=title,
            description=f"{resident['name']}住{resident.get('address', '')}，"
            f"电话{resident['phone']}",
            resident=resident,
            grid_id=grid_id,
        )
    )


def sign_in(client: TestClient, token: str) -> None:
    page = client.get("/app/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None
    signed = client.post(
        "/app/login", data={"csrf": csrf.group(1), "token": token}, follow_redirects=False
    )
    assert signed.status_code == 303, signed.text


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


def test_no_board_page_or_answer_holds_a_residents_name_phone_or_address(
    client: TestClient, services: Services, as_clerk: Api
) -> None:
    resident = {"name": NAME, "phone": PHONE, "address": ADDRESS}
    other = {"name": OTHER_NAME, "phone": OTHER_PHONE}
    plain = wish(as_clerk, "助听器一台", resident, "tiansheng-01")
    named = wish(as_clerk, f"给{NAME}奶奶买轮椅", resident, "tiansheng-01")
    numbered = wish(as_clerk, "联系电话 0731-85551234 的老人要台灯", other, "tiansheng-02")
    addressed = wish(as_clerk, f"{ADDRESS}需要修门锁", other, "tiansheng-02")
    position = max(w["position"] for w in (plain, named, numbered, addressed))
    user, token = services.users.add(
        "志愿者 钱", "claimant", "tiansheng", claimant_type=ClaimantType.VOLUNTEER
    )
    volunteer = {"Authorization": f"Bearer {token}"}

    seen: dict[str, str] = {}
    for area in (None, "wenmiao", "tiansheng", "tiansheng-01", "tiansheng-02"):
        params = {"min_position": str(position), **({"area": area} if area else {})}
        answer = client.get("/board.json", params=params)
        assert answer.status_code == 200
        seen[f"board.json {area}"] = answer.text
        page = client.get("/board", params={"area": area} if area else None)
        assert page.status_code == 200
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "<script" not in page.text
        seen[f"board {area}"] = page.text
    listed = {w["id"]: w["title"] for w in client.get("/board.json").json()["wishes"]}
    assert listed[plain["id"]] == "助听器一台"
    # A title that names the resident, a phone or an address shows the category instead.
    assert (
        listed[named["id"]] == listed[numbered["id"]] == listed[addressed["id"]] == "物品类微心愿"
    )

    # The claimant's answers and pages, holding the wishes whose titles name people.
    for case in (named, numbered, plain):
        claimed = client.post(f"/board/wishes/{case['id']}/claim", headers=volunteer)
        seen[f"claim {case['id']}"] = claimed.text
    released = client.post(f"/board/wishes/{plain['id']}/release", json={}, headers=volunteer)
    seen["release"] = released.text
    fulfilled = client.post(
        f"/board/wishes/{named['id']}/fulfil", json={"notes": "已送达"}, headers=volunteer
    )
    seen["fulfil"] = fulfilled.text
    seen["mine"] = client.get(
        "/board/mine", params={"min_position": fulfilled.json()["position"]}, headers=volunteer
    ).text
    sign_in(client, token)
    mine_page = client.get("/app/board", params={"min_position": fulfilled.json()["position"]})
    assert mine_page.status_code == 200
    seen["/app/board"] = mine_page.text
    acted = client.post(
        f"/app/board/{numbered['id']}/release",
        data={"csrf": csrf_of(mine_page.text), "reason": "时间冲突"},
        follow_redirects=True,
    )
    assert acted.status_code == 200 and "已取消认领" in acted.text
    seen["/app/board after release"] = acted.text
    bad_link = client.post(
        f"/app/board/{plain['id']}/claim",
        data={"csrf": csrf_of(acted.text)},
        follow_redirects=True,
    )
    bad_link = client.post(
        f"/app/board/{plain['id']}/fulfil",
        data={"csrf": csrf_of(bad_link.text), "notes": "已送达", "photo_url": "ftp://x/1.jpg"},
    )
    assert bad_link.status_code == 422
    assert "请填写以 http:// 或 https:// 开头的网址。" in bad_link.text
    seen["/app/board with an error"] = bad_link.text
    taken = client.post(f"/app/board/{named['id']}/release", data={"csrf": csrf_of(bad_link.text)})
    assert taken.status_code == 409 and "此心愿已实现，不能再取消认领。" in taken.text
    client.cookies.clear()

    leaks = [
        f"{where}: {value}" for where, text in seen.items() for value in PERSONAL if value in text
    ]
    assert leaks == []
    assert str(user.id) not in seen["board None"]  # nor who claimed what, on the public page
