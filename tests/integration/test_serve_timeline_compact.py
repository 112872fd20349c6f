"""The compact timeline encoding (GET /api/profiles/{id}/timeline?enc=compact,
docs/api.md) on the real server over a real socket (Server from
test_serve.py), on a recording made here by the real sampler: decoded as
docs/api.md says (runs replayed with a stack of open spans, weights from
the column weights), it is exactly the default answer, over several
windows, widths and views; it is smaller; a bad `enc` is a 400 naming it.
The decoder here is written from docs/api.md alone, not from our code.
"""

import gzip
import http.client

import pytest

import harness
from test_serve import recording


def decode(spans, width):
    runs, frame, cw = spans["runs"], spans["frame"], spans["cw"]
    n = len(frame)
    x0, x1, depth = [0] * n, [0] * n, [0] * n
    stack, i, x = [], 0, 0
    assert len(runs) % 3 == 0
    for k in range(0, len(runs), 3):
        dx, keep, count = runs[k:k + 3]
        assert dx > 0 or k == 0
        x += dx
        assert keep <= len(stack) and x <= width
        while len(stack) > keep:
            x1[stack.pop()] = x
        for _ in range(count):
            x0[i], depth[i] = x, len(stack)
            stack.append(i)
            i += 1
    assert i == n
    while stack:
        x1[stack.pop()] = width
    cols = []
    for v in cw:
        cols += [0] * -v if v < 0 else [v]
    assert len(cols) == width
    prefix = [0]
    for v in cols:
        prefix.append(prefix[-1] + v)
    weight = [prefix[b] - prefix[a] for a, b in zip(x0, x1)]
    return {"x0": x0, "x1": x1, "depth": depth, "frame": frame, "weight": weight}


def test_compact_is_the_default_and_equals_json(spyglass, server, tmp_path):
    pid = server.upload(recording(spyglass, tmp_path, 1.5))["id"]
    info = server.get(f"/api/profiles/{pid}")
    a, b = info["t_start"], info["t_end"]
    spans = 0
    for window in ("", f"&t0={a + (b - a) // 3}&t1={a + (b - a) // 3 + (b - a) // 40 + 1}"):
        for extra in ("&width=400", "&width=1", "&width=1600&threads=0", "&width=800&state=cpu"):
            path = f"/api/profiles/{pid}/timeline?{window.lstrip('&')}{extra}"
            old = server.get(path + "&enc=json")
            new = server.get(path)  # the default is compact
            assert new == server.get(path + "&enc=compact")
            assert new.pop("enc") == "compact"
            for t_old, t_new in zip(old["threads"], new["threads"]):
                t_new["spans"] = decode(t_new["spans"], new["width"])
                spans += len(t_old["spans"]["x0"])
            assert new == old, path
    assert spans > 100


def raw(server, path, headers=None):
    conn = http.client.HTTPConnection(server.host, server.port, timeout=harness.timeout(60))
    try:
        conn.request("GET", path, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def test_compact_is_smaller_and_bad_enc_is_named(spyglass, server, tmp_path):
    pid = server.upload(recording(spyglass, tmp_path, 1.5))["id"]
    path = f"/api/profiles/{pid}/timeline?width=1600"
    _, _, plain = raw(server, path + "&enc=json")
    _, _, compact = raw(server, path + "&enc=compact")
    assert len(compact) < len(plain)
    # gzip applies to it too (on loopback from an answer's second response)
    status, headers, body = raw(server, path + "&enc=compact", {"Accept-Encoding": "gzip"})
    assert status == 200 and headers.get("Vary") == "Accept-Encoding"
    if len(compact) >= 1024:
        assert headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(body) == compact
    status, _, err = raw(server, path + "&enc=binary")
    assert status == 400
    assert b"enc" in err and b"binary" in err
