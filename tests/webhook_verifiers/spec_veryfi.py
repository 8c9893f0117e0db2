"""The Veryfi spec's Python webhook signature code ("Step 2: Receiving and validating
the webhook request"), verbatim. `check_veryfi_signature` is wiring: it runs the
spec's last lines with a parsed payload, a client secret and the header value."""

import hashlib
import hmac
import base64
from typing import *

def create_signature(data_payload: Dict, client_secret: str) -> str:
    signature = hmac.new(
        client_secret.encode("utf-8"), msg=str(data_payload).encode("utf-8"), digestmod=hashlib.sha256
    ).digest()
    base64_signature = str(base64.b64encode(signature), "utf-8").strip()
    return base64_signature


def check_veryfi_signature(payload: Dict, client_secret: str, validation_signature: str) -> bool:
    # --- spec, verbatim:
    generated_signature = create_signature(payload["data"], client_secret)

    # Confirm that the generated signature equals the validation signature
    # from the x-veryfi-signature header
    is_valid = generated_signature == validation_signature
    # --- end of spec
    return is_valid
