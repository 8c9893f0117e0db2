"""Checks a fixture directory written by `cargo test -p folio-core --test
webhook_verifiers` with the specs' Python verifiers, run as written, and the
official Standard Webhooks library (PyPI `standardwebhooks`):

- DocuRift `verify_webhook(body, X-DocuRift-Signature, webhookSecret)`;
- Veryfi `create_signature(payload["data"], client_secret)` == `x-veryfi-signature`;
- `standardwebhooks.Webhook(secret).verify(body, headers)`;

and that each refuses a tampered copy. Usage: python3 check_fixtures.py DIR
(exit status 0 when all pass). Not named test_*: cargo runs it.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from spec_docurift import verify_webhook  # noqa: E402
from spec_veryfi import check_veryfi_signature  # noqa: E402
from standardwebhooks import Webhook  # noqa: E402
from standardwebhooks.webhooks import WebhookVerificationError  # noqa: E402

failures = 0


def check(ok, what):
    global failures
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures += 1


def tamper(body: bytes) -> bytes:
    """The body with its last digit changed (still valid JSON)."""
    at = max(i for i, c in enumerate(body) if 0x30 <= c <= 0x39)
    b = bytearray(body)
    b[at] = 0x32 if b[at] == 0x31 else 0x31
    return bytes(b)


def standard_webhooks_accepts(wh: Webhook, body: bytes, headers: dict) -> bool:
    try:
        wh.verify(body, headers)
        return True
    except WebhookVerificationError:
        return False


def main(fixtures: str) -> int:
    with open(os.path.join(fixtures, "cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    for c in cases:
        # Receivers hand the library the secret they configured; when that
        # secret is not base64, the library takes its bytes (or the whsec_ form
        # Folio documents for it).
        wh = Webhook(c["standardWebhooksSecret"])
        for d in c["deliveries"]:
            name = f'{c["name"]}/{d["name"]}'
            with open(os.path.join(fixtures, d["bodyFile"]), "rb") as f:
                body = f.read()
            headers = d["headers"]
            h = {k.lower(): v for k, v in headers.items()}
            if d["profile"] == "docurift":
                check(verify_webhook(body, h["x-docurift-signature"], c["secret"]), f"{name}: DocuRift Python verify_webhook accepts")
                check(not verify_webhook(tamper(body), h["x-docurift-signature"], c["secret"]), f"{name}: ... and refuses a tampered body")
            else:
                payload = json.loads(body)
                check(check_veryfi_signature(payload, c["secret"], h["x-veryfi-signature"]), f"{name}: Veryfi Python create_signature accepts")
                check(not check_veryfi_signature(json.loads(tamper(body)), c["secret"], h["x-veryfi-signature"]), f"{name}: ... and refuses tampered data")
            check(standard_webhooks_accepts(wh, body, headers), f"{name}: standardwebhooks Webhook(secret).verify accepts")
            if c["standardWebhooksKeyIsRaw"]:
                check(standard_webhooks_accepts(Webhook(c["secret"].encode()), body, headers), f"{name}: standardwebhooks Webhook(secret.encode()) accepts")
            check(not standard_webhooks_accepts(wh, tamper(body), headers), f"{name}: ... and refuses a tampered body")
    print("all python checks passed" if failures == 0 else f"{failures} python checks failed")
    return 0 if failures == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
