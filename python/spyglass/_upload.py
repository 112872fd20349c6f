"""Uploading a profile to a spyglass server: `POST {url}/api/profiles` with
the .sgl bytes as the body (docs/api.md), standard library only."""

import json
import urllib.error
import urllib.parse
import urllib.request


def upload_bytes(url, data, token=None, name=None, tags=None, timeout=60.0):
    """POSTs .sgl bytes to the server at `url` (its base, e.g.
    "http://127.0.0.1:8080"); returns the stored profile's JSON (a dict).
    Raises OSError with the server's message on failure."""
    base = url.rstrip("/")
    if not base.endswith("/api/profiles"):
        base += "/api/profiles"
    query = {}
    if name:
        query["name"] = name
    if tags:
        query["tags"] = ",".join(tags)
    if query:
        base += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(base, data=bytes(data), method="POST")
    req.add_header("Content-Type", "application/octet-stream")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            body = resp.read()
    except urllib.error.HTTPError as e:
        detail = e.read().decode("utf-8", "replace")
        raise OSError(f"upload to {base} failed: HTTP {e.code}: {detail}") from None
    except urllib.error.URLError as e:
        raise OSError(f"upload to {base} failed: {e.reason}") from None
    try:
        return json.loads(body.decode("utf-8"))
    except ValueError:
        return {"response": body.decode("utf-8", "replace")}
