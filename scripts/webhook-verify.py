#!/usr/bin/env python3
"""Verifies a Standard Webhooks v1 signature with nothing but Python's standard library.

An independent check of the platform's signatures (the test suite runs it) and an example for
receivers. Reads one JSON object on stdin: {"secret", "id", "timestamp", "signature", "body"}
(signature: the webhook-signature header, body: the exact request body). Prints "valid" and exits 0
when any v1 signature matches and the timestamp is within 5 minutes; prints why not and exits 1.
"""
import base64
import hashlib
import hmac
import json
import sys
import time

TOLERANCE_SECONDS = 300


def verify(secret: str, msg_id: str, timestamp: str, signature_header: str, body: str) -> str | None:
    if abs(time.time() - int(timestamp)) > TOLERANCE_SECONDS:
        return "timestamp outside the tolerance"
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signature_header.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return None
    return "no matching v1 signature"


if __name__ == "__main__":
    message = json.load(sys.stdin)
    problem = verify(message["secret"], message["id"], message["timestamp"], message["signature"], message["body"])
    print(problem or "valid")
    sys.exit(1 if problem else 0)
