"""An outside integrator's client, written from docs/security.md alone (its own HMAC, httpx and
websockets as shipped by Debian): signs requests and WebSocket URLs, then prints one JSON object
of what each case answered, for packages/trading/test/python-integrator.test.ts to check.

usage: signed_integrator.py KEYS_JSON URLS_JSON
"""
import asyncio
import hashlib
import hmac
import json
import sys
import time

import httpx
import websockets

KEYS = {k["id"]: k for k in json.load(open(sys.argv[1]))}
URLS = json.loads(sys.argv[2])
EE, MD, API = URLS["execution-engine"], URLS["market-data"], URLS["api"]


def sign(kid, method, target, body=b"", ts=None):
    ts = str(int(time.time() * 1000)) if ts is None else str(ts)
    msg = ts.encode() + method.encode() + target.encode() + body
    sig = hmac.new(KEYS[kid]["secret"].encode(), msg, hashlib.sha256).hexdigest()
    return {"X-TS-Key": kid, "X-TS-Timestamp": ts, "X-TS-Signature": sig}


def send(client, kid, method, base, target, body=None):
    headers = sign(kid, method, target, body or b"")
    if body is not None:
        headers["content-type"] = "application/json"
    r = client.request(method, base + target, content=body, headers=headers)
    try:
        code = r.json().get("error", {}).get("code")
    except ValueError:
        code = None
    return {"status": r.status_code, "code": code, "retryAfter": r.headers.get("retry-after"), "body": r.text[:300]}


def caught(f):
    try:
        return f()
    except Exception as e:  # what an integrator would see instead of an answer
        return {"exception": type(e).__name__, "message": str(e)}


out = {}
order = json.dumps({"symbol": "AAPL", "side": "buy", "type": "limit", "quantity": 1, "price": 100}).encode()
big = b"x" * (5 * 1024 * 1024)
with httpx.Client(timeout=30) as c:
    out["order"] = send(c, "desk-1", "POST", EE, "/orders", order)
    # a JSON body with unicode and whitespace, signed as sent
    pretty = '[ { "name" : "integrator_é", "value" : 1, "labels" : { "city" : "Zürich €" } } ]'.encode()
    out["metricsUnicode"] = send(c, "feed-1", "POST", API, "/api/metrics", pretty)
    out["bigKeepAlive"] = caught(lambda: send(c, "desk-1", "POST", EE, "/orders", big))
    out["afterBig"] = send(c, "dash-1", "GET", EE, "/book/AAPL?depth=10")
    out["viewerNotJson"] = send(c, "dash-1", "POST", EE, "/orders", b"x" * 10_000)
    out["depthTwice"] = send(c, "dash-1", "GET", EE, "/book/AAPL?depth=10&depth=5")
out["bigPlain"] = caught(lambda: send(httpx, "desk-1", "POST", EE, "/orders", big))


async def ws_query(before, after):
    ts = str(int(time.time() * 1000))
    signed = "/stream" + ("?" + "&".join(p for p in (before, after) if p) if before or after else "")
    sig = sign("feed-1", "GET", signed, b"", ts)["X-TS-Signature"]
    q = "&".join(p for p in (before, f"key=feed-1&ts={ts}&sig={sig}", after) if p)
    try:
        async with websockets.connect(MD.replace("http", "ws") + "/stream?" + q, open_timeout=10):
            return "open"
    except Exception as e:
        return f"{type(e).__name__}: {e}"


async def ws_all():
    return {
        "alone": await ws_query("", ""),
        "before": await ws_query("ack=1", ""),
        "after": await ws_query("", "ack=1"),
    }


out["ws"] = asyncio.run(ws_all())
print(json.dumps(out))
