"""Key management: admin-only creation, hashed storage, revocation, the development key, /v1/me."""

import uuid

import pytest

from admint.gateway.auth import hash_key
from tests.integration.gateway.conftest import ADMIN_TOKEN, RunningGateway, gateway_settings, serve

pytestmark = pytest.mark.integration


async def test_keys_are_stored_hashed_listed_and_revocable(gateway: RunningGateway) -> None:
    owner = f"acme-{uuid.uuid4().hex[:6]}"
    async with gateway.client(ADMIN_TOKEN) as admin:
        created = await admin.post("/v1/admin/keys", json={"owner": owner, "name": "ci", "rate_limit_per_minute": 5})
        assert created.status_code == 201
        body = created.json()
        plaintext = body["api_key"]
        assert plaintext.startswith("admk_") and len(plaintext) > 40
        assert body["prefix"] == plaintext[:11]
        listed = (await admin.get("/v1/admin/keys", params={"owner": owner})).json()
        assert [k["id"] for k in listed] == [body["id"]] and "api_key" not in listed[0]
        bad_owner = await admin.post("/v1/admin/keys", json={"owner": "Not Allowed/../x"})
        assert bad_owner.status_code == 422

    record = await gateway.state.keys.collection.find_one({"_id": body["id"]})
    assert record["key_hash"] == hash_key(plaintext)
    assert plaintext not in str(record)

    async with gateway.client(plaintext) as client:
        me = (await client.get("/v1/me")).json()
        assert me["owner"] == owner and me["limits"]["rate_limit_per_minute"] == 5
    async with gateway.client(ADMIN_TOKEN) as admin:
        assert (await admin.delete(f"/v1/admin/keys/{body['id']}")).status_code == 204
        assert (await admin.delete(f"/v1/admin/keys/{body['id']}")).status_code == 404
    async with gateway.client(plaintext) as client:
        assert (await client.get("/v1/me")).status_code == 401
    async with gateway.client(plaintext) as not_admin:
        assert (await not_admin.get("/v1/admin/keys")).status_code == 401


async def test_development_key_is_ensured_at_start(stack) -> None:
    dev_key = f"admk_dev-{uuid.uuid4().hex}"
    settings = gateway_settings(stack, dev_api_key=dev_key, dev_owner="devteam")
    for _ in range(2):  # a restart finds the key present and keeps it
        running, server, task = await serve(settings)
        try:
            async with running.client(dev_key) as client:
                assert (await client.get("/v1/me")).json()["owner"] == "devteam"
        finally:
            server.should_exit = True
            await task


async def test_admin_actions_are_in_the_audit_log(gateway: RunningGateway) -> None:
    owner = f"audited-{uuid.uuid4().hex[:8]}"
    async with gateway.client(ADMIN_TOKEN) as admin:
        created = (await admin.post("/v1/admin/keys", json={"owner": owner, "name": "ci", "rate_limit_per_minute": 9}))
        key_id = created.json()["id"]
        assert (await admin.delete(f"/v1/admin/keys/{key_id}")).status_code == 204
        page = (await admin.get("/v1/admin/audit", params={"limit": 200})).json()
    mine = [e for e in page["items"] if e["target"] == key_id]
    assert [e["action"] for e in mine] == ["key.revoked", "key.created"]  # newest first
    assert mine[1]["details"]["owner"] == owner and mine[1]["details"]["rate_limit_per_minute"] == 9
    assert all(e["actor"] == "admin" and e["client"] == "127.0.0.1" for e in mine)
    assert "api_key" not in str(mine)  # the secret itself is never logged
    async with gateway.client(await gateway.new_key()) as user:
        assert (await user.get("/v1/admin/audit")).status_code == 401
