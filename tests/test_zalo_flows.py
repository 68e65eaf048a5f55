from __future__ import annotations
import pytest
from tests.fakes.zalo_api import FakeZaloApi
from tests.zalo_harness import TOKEN, ZaloHarness, texts
from tests.seed import add_person, invite, make_org

USER = "6ede9afa66b88fe6d6a9"

@pytest.fixture
async def zh(aiohttp_server, db_url):
    fake = FakeZaloApi(TOKEN, max_poll_wait=0.5)
    await fake.serve(aiohttp_server)
    h = ZaloHarness(fake, db_url)
    await h.start()
    try:
        yield h
    finally:
        await h.stop()

@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_smoke(zh, db):
    org = await make_org(db)
    code = await invite(db, org["napai"], "member")
    for t in ["xin chào", code, "2", "Lò Văn Minh", "1"]:
        sent = await zh.say(USER, t, expect=len([1]) if t != "1" else 2)
        print(">>>", t, "\n", texts(sent))
    for t in ["Hôm nay hỗ trợ 12 người kích hoạt VNeID mức 2, 3 hồ sơ DVC", "1", "đi họp thôn"]:
        sent = await zh.say(USER, t, expect=2 if t == "đi họp thôn" else 1)
        print(">>>", t, "\n", texts(sent))
