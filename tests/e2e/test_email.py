"""E-mail in and out, as Cloudflare documents local testing: under real
`wrangler dev`, `POST /cdn-cgi/handler/email?from=..&to=..` with a raw MIME
message runs the worker's `email` handler, and the `send_email` binding is
simulated (each message is written to a file named in wrangler's log).

Veryfi spec ("Webhook for Email collector" and "Webhook Delivery Failure
Notifications"): "If all 3 webhook deliveries fail, an API Webhook Failed
email will be sent to the configured admin ... Only 1 email is sent per
24-hour period listing all failed webhooks with document ids."
"""

import io
import json
import re
import sys
import time
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

import jsonschema
import pytest
import requests
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhook_verifiers"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "webhooks"))

from fixtures import receipt_png, scanned_pdf  # noqa: E402
from harness.edge import EdgeServer, free_port, wait_final  # noqa: E402
from harness.host import HostProcess  # noqa: E402
from receivers import Answer, NodeReceiver, Receiver  # noqa: E402
from spec_veryfi import check_veryfi_signature  # noqa: E402

ALLOWED = "ann@example.com"
# A small limit so the "too large" refusal is reachable under wrangler dev,
# which itself refuses messages over 1 MiB before any worker sees them.
MAX_MESSAGE_BYTES = 400_000
EDGE_VARS = {"LEASE_SECONDS": "6", "WEBHOOK_TIME_SCALE": "0.001", "EMAIL_MAX_MESSAGE_BYTES": str(MAX_MESSAGE_BYTES)}


@pytest.fixture(scope="module")
def edge():
    with EdgeServer(vars=EDGE_VARS, name="email", port=free_port()) as e:
        yield e


@pytest.fixture(scope="module")
def host(edge):
    with HostProcess(edge.base_url, edge.host_token, name="email-host") as h:
        yield h


def new_org(edge, credits=100, admin_email="admin@acme.example"):
    admin = edge.admin()
    d = admin._call("POST", "/admin/v1/orgs", 201, json={"name": "Acme", "plan": "paid", "credits": credits, "adminEmail": admin_email})
    org_id = d["organization"]["orgId"]
    assert d["organization"]["adminEmail"] == admin_email
    key = admin.create_key(org_id, role="admin", profile="live")
    return org_id, key


def inbox(edge, key, senders=None) -> dict:
    if senders is not None:
        r = requests.put(edge.url("/v1/account/email"), headers=key.headers, json={"allowedSenders": senders}, timeout=30)
        assert r.status_code == 200, r.text
    r = requests.get(edge.url("/v1/account/email"), headers=key.headers, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def jpeg(n: int) -> bytes:
    buf = io.BytesIO()
    Image.open(io.BytesIO(receipt_png(n))).convert("RGB").save(buf, "JPEG", quality=80)
    return buf.getvalue()


def message(sender: str, to: str, subject: str, attachments: list[tuple[str, str, bytes]], inline: bytes | None = None) -> bytes:
    """A real MIME message (Python's email package), as a mail client writes it."""
    m = EmailMessage()
    m["From"] = f"Ann Example <{sender}>"
    m["To"] = to
    m["Subject"] = subject
    m["Message-ID"] = make_msgid(domain="example.com")
    m.set_content("Receipts attached.\n")
    if inline is not None:
        m.add_alternative("<p>Receipt: <img src='cid:r1'></p>", subtype="html")
        m.get_payload()[1].add_related(inline, maintype="image", subtype="png", cid="<r1>")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def deliver(edge, raw: bytes, sender: str, to: str) -> requests.Response:
    return requests.post(edge.url("/cdn-cgi/handler/email"), params={"from": sender, "to": to}, data=raw, timeout=60)


def documents(edge, key) -> list[dict]:
    r = requests.get(edge.url("/v1/documents"), headers=key.headers, params={"limit": 100}, timeout=30)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def credits(edge, key) -> int:
    return requests.get(edge.url("/v1/account"), headers=key.headers, timeout=30).json()["data"]["account"]["credits"]


def sent_emails(edge) -> list[dict]:
    """The messages the simulated `send_email` binding took, from wrangler's log."""
    log = re.sub(r"\x1b\[[0-9;]*m", "", edge.log_text())
    out = []
    for block in log.split("send_email binding called with MessageBuilder:")[1:]:
        head = block.split("\n\n")[0]
        fields = dict(re.findall(r"^\s*(From|To|Subject): (.*)$", head, re.M))
        text = re.search(r"Text: (\S+)", block)
        fields["text"] = Path(text.group(1)).read_text() if text else ""
        out.append(fields)
    return out


def test_pdf_and_jpeg_become_documents_and_the_account_webhook_verifies(edge, host):
    org_id, key = new_org(edge)
    box = inbox(edge, key, [ALLOWED])
    assert box["address"] == f"{org_id}@inbox.folio.localhost"
    assert box["addressesByType"]["invoice"] == f"{org_id}+invoice@inbox.folio.localhost"
    assert box["allowedSenders"] == [ALLOWED]
    client_secret = key.veryfi["clientSecret"]
    node = NodeReceiver(veryfi_secret=client_secret)
    rcv = Receiver(forward_to=node.base_url)
    try:
        r = requests.put(edge.url("/v1/account/webhook"), headers=key.headers, json={"url": rcv.url("/webhook/veryfi")}, timeout=30)
        assert r.status_code == 200, r.text
        before = credits(edge, key)
        raw = message(ALLOWED, box["address"], "March receipts",
                      [("scan.pdf", "application/pdf", scanned_pdf(1)), ("till.jpg", "image/jpeg", jpeg(7))])
        r = deliver(edge, raw, ALLOWED, box["address"])
        assert r.status_code == 200, r.text
        docs = documents(edge, key)
        assert sorted(d["fileName"] for d in docs) == ["scan.pdf", "till.jpg"]
        finals = [wait_final(edge, key, d["id"]) for d in docs]
        for d in finals:
            assert d["status"] == "completed", d
            assert d["documentType"] == "receipt"
            assert d["source"] == "email"
            assert d["email"]["from"] == ALLOWED and d["email"]["subject"] == "March receipts"
        assert credits(edge, key) == before - 2
        # The account webhook, once per document, verified by the Veryfi spec's
        # Python code here and its JavaScript code in the Node receiver (which answered 200).
        got = rcv.wait_for(2, timeout=60)
        for delivery in got[:2]:
            payload = json.loads(delivery.body)
            assert payload["event"] == "document.created"
            assert check_veryfi_signature(payload, client_secret, delivery.header("x-veryfi-signature"))
            assert delivery.answered == 200
        # The same message again (a sending server's retry): nothing new.
        assert deliver(edge, raw, ALLOWED, box["address"]).status_code == 200
        assert len(documents(edge, key)) == 2 and credits(edge, key) == before - 2
    finally:
        rcv.close()
        node.close()


def test_type_from_address_tag_and_subject_and_inline_images(edge, host):
    org_id, key = new_org(edge)
    box = inbox(edge, key, ["@example.com"])
    raw = message("bob@example.com", box["addressesByType"]["invoice"], "hello", [], inline=receipt_png(3))
    assert deliver(edge, raw, "bob@example.com", box["addressesByType"]["invoice"]).status_code == 200
    raw = message("bob@example.com", box["address"], "Fwd: Invoice 2024-113", [("a.png", "image/png", receipt_png(4))])
    assert deliver(edge, raw, "bob@example.com", box["address"]).status_code == 200
    docs = documents(edge, key)
    assert sorted(d["documentType"] for d in docs) == ["invoice", "invoice"]


REJECT = "Worker rejected email with the following reason: "


def rejected(r: requests.Response) -> str:
    assert r.status_code == 400 and r.text.startswith(REJECT), (r.status_code, r.text)
    return r.text[len(REJECT):]


def test_every_refusal_is_a_reject_with_its_reason_and_creates_nothing(edge, host):
    org_id, key = new_org(edge, credits=1)
    box = inbox(edge, key, [ALLOWED])
    to = box["address"]
    one = [("a.png", "image/png", receipt_png(1))]
    cases = {
        "unknown address": (message(ALLOWED, "org_zzzzzzzz9999@inbox.folio.localhost", "x", one), ALLOWED,
                            "org_zzzzzzzz9999@inbox.folio.localhost", "Unknown recipient address"),
        "other domain": (message(ALLOWED, f"{org_id}@elsewhere.example", "x", one), ALLOWED, f"{org_id}@elsewhere.example",
                         "Unknown recipient address"),
        "sender not allowed": (message("eve@example.org", to, "x", one), "eve@example.org", to, "Sender not allowed"),
        "no attachment": (message(ALLOWED, to, "x", [("notes.txt", "text/plain", b"hi")]), ALLOWED, to,
                          "No PDF or image attachment (skipped: notes.txt)"),
        "not a document": (message(ALLOWED, to, "x", [("fake.pdf", "application/pdf", b"GIF89a not a pdf")]), ALLOWED, to,
                           "No PDF or image attachment (skipped: fake.pdf)"),
        "unknown type": (message(ALLOWED, to.replace("@", "+passport@"), "x", one), ALLOWED, to.replace("@", "+passport@"),
                         "Unknown document type \"passport\""),
        "too large": (message(ALLOWED, to, "x", [("big.png", "image/png", receipt_png(1) + bytes(MAX_MESSAGE_BYTES))]), ALLOWED, to,
                      "Message too large"),
        # One credit, two single-page documents: all or none.
        "no credits for all": (message(ALLOWED, to, "x", one + [("b.png", "image/png", receipt_png(2))]), ALLOWED, to,
                               "INSUFFICIENT_CREDITS"),
    }
    for name, (raw, sender, rcpt, reason) in cases.items():
        assert len(raw) < 1024 * 1024, name  # wrangler dev's own limit
        r = deliver(edge, raw, sender, rcpt)
        assert r.status_code == 400, (name, r.text)
        assert rejected(r).startswith(reason), (name, r.text)
    assert documents(edge, key) == []
    assert credits(edge, key) == 1
    # An organisation without credits at all.
    org2, key2 = new_org(edge, credits=0)
    to2 = inbox(edge, key2, [ALLOWED])["address"]
    assert rejected(deliver(edge, message(ALLOWED, to2, "x", one), ALLOWED, to2)).startswith("INSUFFICIENT_CREDITS")
    assert documents(edge, key2) == []
    # The sandbox inbox is another inbox: its own allowlist (empty), its own documents.
    sandbox = edge.admin().create_key(org_id, role="admin", profile="sandbox")
    sbox = inbox(edge, sandbox)
    assert sbox["address"] == f"{org_id}.sandbox@inbox.folio.localhost" and sbox["allowedSenders"] == []
    assert rejected(deliver(edge, message(ALLOWED, sbox["address"], "x", one), ALLOWED, sbox["address"])).startswith("Sender not allowed")


def test_allowlist_is_validated_and_admin_only(edge):
    org_id, key = new_org(edge)
    member = edge.admin().create_key(org_id, role="member", profile="live")
    r = requests.put(edge.url("/v1/account/email"), headers=member.headers, json={"allowedSenders": [ALLOWED]}, timeout=30)
    assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
    for bad in (["ann"], ["a b@example.com"], ["@localhost"], [f"u{i}@example.com" for i in range(101)]):
        r = requests.put(edge.url("/v1/account/email"), headers=key.headers, json={"allowedSenders": bad}, timeout=30)
        assert r.status_code == 400 and r.json()["error"]["code"] == "INVALID_REQUEST", (bad, r.text)
    # The admin API sees and sets the same list, per profile.
    admin = edge.admin()
    got = admin._call("PUT", f"/admin/v1/orgs/{org_id}/email?profile=sandbox", 200, json={"allowedSenders": ["@Example.com"]})
    assert got["profile"] == "sandbox" and got["allowedSenders"] == ["@example.com"]
    assert admin._call("GET", f"/admin/v1/orgs/{org_id}/email", 200)["allowedSenders"] == []


def test_failed_account_webhook_sends_one_email_per_window(edge, host):
    """Veryfi profile: 3 attempts fail -> the admin gets an e-mail listing the
    document; a second failure inside the 24 h window (86 s at the tests' time
    scale) waits for the next one."""
    org_id, key = new_org(edge, admin_email="ops@acme.example")
    box = inbox(edge, key, [ALLOWED])
    failing = Receiver(answer=lambda n, r: Answer(status=500))
    try:
        r = requests.put(edge.url("/v1/account/webhook"), headers=key.headers, json={"url": failing.url("/hook")}, timeout=30)
        assert r.status_code == 200
        for n in (11, 12):
            raw = message(ALLOWED, box["address"], f"receipt {n}", [("r.png", "image/png", receipt_png(n))])
            assert deliver(edge, raw, ALLOWED, box["address"]).status_code == 200
        docs = documents(edge, key)
        for d in docs:
            wait_final(edge, key, d["id"])
        failing.wait_for(6, timeout=60)  # 3 attempts each
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            f = requests.get(edge.url("/v1/webhooks/failures"), headers=key.headers, timeout=30).json()["data"]
            if len(f["failures"]) == 2 and f["notifications"] and f["notifications"][-1].get("email", {}).get("state") == "sent":
                break
            time.sleep(0.5)
        mails = [m for m in sent_emails(edge) if m.get("To") == "ops@acme.example"]
        assert len(mails) == 1, mails
        assert f["notifications"][-1]["email"]["to"] == "ops@acme.example"
        listed = f["notifications"][-1]["ids"]
        assert all(str(i) in mails[0]["text"] for i in listed) and listed
        # The other failure waits for the next window: no second e-mail now.
        assert len(f["failures"]) == 2
        time.sleep(3)
        assert len([m for m in sent_emails(edge) if m.get("To") == "ops@acme.example"]) == 1
    finally:
        failing.close()


def test_webhook_payloads_follow_the_openapi_webhooks_section(edge, host):
    """The `webhooks` section describes what receivers get: the Veryfi
    account webhook's body and headers from a real e-mailed document."""
    spec = requests.get(edge.url("/v1/openapi.json"), timeout=30).json()
    hook = spec["webhooks"]["accountWebhook"]["post"]
    org_id, key = new_org(edge)
    box = inbox(edge, key, [ALLOWED])
    rcv = Receiver(answer=lambda n, r: Answer(status=200))
    try:
        requests.put(edge.url("/v1/account/webhook"), headers=key.headers, json={"url": rcv.url("/v")}, timeout=30)
        raw = message(ALLOWED, box["address"], "x", [("r.png", "image/png", receipt_png(21))])
        assert deliver(edge, raw, ALLOWED, box["address"]).status_code == 200
        got = rcv.wait_for(1, timeout=120)[0]
        schema = {"components": spec["components"], **hook["requestBody"]["content"]["application/json"]["schema"]}
        jsonschema.Draft202012Validator(schema).validate(json.loads(got.body))
        for p in hook["parameters"]:
            assert got.header(p["name"]) or not p["required"], p["name"]
    finally:
        rcv.close()
