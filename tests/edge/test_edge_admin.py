"""The admin API: guarded by the deployment's ADMIN_TOKEN; creates
organisations (with Veryfi credentials per profile) and keys, sets plan
and credits, revokes keys. Keys are stored only as hashes."""

from __future__ import annotations

import hashlib
import os
import subprocess

from edge_helpers import error_of, submit_ok


def test_admin_token_required(edge):
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {edge.host_token}"}):
        r = edge.session.post(edge.url("/admin/v1/orgs"), json={"name": "x"}, headers=headers)
        assert r.status_code == 401 and error_of(r) == "INVALID_API_KEY"


def test_secrets_are_not_on_any_command_line(edge):
    """`ps` shows every user's command lines: ADMIN_TOKEN and HOST_TOKEN reach
    wrangler dev through a 0600 .dev.vars file instead (issue #11, item 13)."""
    assert edge.proc is not None and edge.proc.poll() is None
    seen = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmdline = open(f"/proc/{pid}/cmdline", "rb").read()
        except OSError:
            continue
        seen += 1
        for token in (edge.admin_token, edge.host_token):
            assert token.encode() not in cmdline, f"pid {pid}: {cmdline[:200]!r}"
    assert seen > 1
    dev_vars = edge.run_dir / ".dev.vars"
    assert dev_vars.stat().st_mode & 0o777 == 0o600
    assert edge.admin_token in dev_vars.read_text()


def test_org_and_key_lifecycle(edge, admin):
    org = admin.create_org("Acme Corp.", plan="free", credits=7)
    assert org.slug == "acme-corp" and org.plan == "free" and org.credits == 7
    assert set(org.veryfi) == {"live", "sandbox"}
    assert org.veryfi["live"]["clientId"] != org.veryfi["sandbox"]["clientId"]
    assert all(v["username"] == "acme-corp" for v in org.veryfi.values())
    key = admin.create_key(org, role="member", profile="sandbox")
    assert key.api_key.startswith("frc_") and len(key.api_key) == 44
    assert key.veryfi["clientId"] == org.veryfi["sandbox"]["clientId"] and key.veryfi["apiKey"] == key.api_key
    updated = admin.update_org(org, plan="paid", addCredits=5)
    assert updated["plan"] == "paid" and updated["credits"] == 12
    assert admin.update_org(org, credits=3)["credits"] == 3
    submit_ok(edge, key)
    admin.revoke_key(key)
    assert edge.session.get(edge.url("/v1/documents"), headers=key.headers).status_code == 401


def test_admin_validation(edge, admin):
    h = admin.headers
    post = lambda path, body: edge.session.post(edge.url(path), headers=h, json=body)
    assert error_of(post("/admin/v1/orgs", {"name": ""})) == "INVALID_REQUEST"
    assert error_of(post("/admin/v1/orgs", {"name": "x", "plan": "gold"})) == "INVALID_REQUEST"
    assert error_of(post("/admin/v1/orgs", {"name": "x", "credits": -1})) == "INVALID_REQUEST"
    assert error_of(post("/admin/v1/orgs", {"name": "x", "slug": "Bad Slug"})) == "INVALID_REQUEST"
    assert error_of(post("/admin/v1/orgs", {"name": "x", "unknown": 1})) == "INVALID_REQUEST"
    org = admin.create_org("v")
    assert error_of(post(f"/admin/v1/orgs/{org.id}/keys", {"role": "owner", "profile": "live"})) == "INVALID_REQUEST"
    assert error_of(post(f"/admin/v1/orgs/{org.id}/keys", {"role": "admin", "profile": "prod"})) == "INVALID_REQUEST"
    r = post("/admin/v1/orgs/org_doesnotexist0000/keys", {"role": "admin", "profile": "live"})
    assert r.status_code == 404
    r = edge.session.get(edge.url("/admin/v1/orgs/not-an-org"), headers=h)
    assert r.status_code == 404


def test_keys_are_stored_only_as_hashes(edge, admin):
    _, key = admin.new_tenant()
    digest = hashlib.sha256(key.api_key.encode()).hexdigest()
    state = edge.state_dir
    found_plain = subprocess.run(["grep", "-rl", key.api_key, str(state)], capture_output=True, text=True).stdout
    found_hash = subprocess.run(["grep", "-rl", digest, str(state)], capture_output=True, text=True).stdout
    assert os.path.isdir(state)
    assert found_plain == "", f"plain key stored in {found_plain}"
    assert found_hash != ""
