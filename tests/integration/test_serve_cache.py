"""`spyglass serve`'s answer cache and .sgl upload scan, on the real binary
over a real socket (Server from test_serve.py).

- A repeated question gets the same bytes as the first answer, whatever
  the order of its parameters (GET /api/health counts hits and misses).
- Eight clients asking the same new question at once cost one computation.
- A deleted profile's answers are gone (404, not a stale 200); a live
  profile's answers follow it as it grows.
- Timeline windows (t0/t1) over the same view agree with a fresh
  computation, whichever windows were asked before.
- Content coding: with `Accept-Encoding: gzip` an answer of 1 KB or more
  comes gzipped and decodes to exactly the plain answer's bytes, made once
  and kept in the answer cache (counted in its bytes); to a loopback
  client (these tests) an answer's first response is plain, gzip from the
  second on; small answers, errors and clients that do not ask (or refuse
  with q=0) get plain JSON; every cached answer says `Vary:
  Accept-Encoding`.
- An .sgl upload is answered after a scan: its list numbers are those of a
  full load (`spyglass report`), a flipped byte is refused with the reason
  and leaves nothing behind, and the profile answers queries at once.
"""

import gzip
import http.client
import json
import threading

import pytest

import harness
from test_serve import recording, report


@pytest.fixture
def recorded(spyglass, server, tmp_path):
    path = recording(spyglass, tmp_path, 1.5)
    return path, server.upload(path)


def cache(server):
    return server.get("/api/health")["cache"]


def raw_get(server, path):
    status, headers, data = server.request("GET", path)
    return status, data


def test_repeated_question_same_bytes(server, recorded):
    _, prof = recorded
    pid = prof["id"]
    before = cache(server)
    s1, a = raw_get(server, f"/api/profiles/{pid}/tree?width=800&inverted=1")
    s2, b = raw_get(server, f"/api/profiles/{pid}/tree?inverted=1&width=800")
    s3, c = raw_get(server, f"/api/profiles/{pid}/tree?inverted=0&width=800&inverted=1")
    assert s1 == s2 == s3 == 200
    assert a == b == c
    after = cache(server)
    assert after["answer_misses"] == before["answer_misses"] + 1
    assert after["answer_hits"] >= before["answer_hits"] + 2
    assert 0 < after["answer_bytes"] <= after["answer_max_bytes"]
    # a different question is computed, and errors are answered, not kept
    assert raw_get(server, f"/api/profiles/{pid}/tree?width=801")[0] == 200
    for _ in range(2):
        assert raw_get(server, f"/api/profiles/{pid}/tree?focus=99999999")[0] == 400
    assert cache(server)["answer_misses"] == after["answer_misses"] + 3


def test_concurrent_identical_questions_compute_once(server, recorded):
    _, prof = recorded
    path = f"/api/profiles/{prof['id']}/callgraph?threads=0"
    before = cache(server)
    bodies = [None] * 8
    barrier = threading.Barrier(8)

    def ask(i):
        barrier.wait()
        bodies[i] = raw_get(server, path)
    threads = [threading.Thread(target=ask, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(harness.timeout(60))
    assert all(b is not None and b[0] == 200 for b in bodies)
    assert all(b[1] == bodies[0][1] for b in bodies)
    after = cache(server)
    assert after["answer_misses"] == before["answer_misses"] + 1
    assert (after["answer_hits"] - before["answer_hits"]) + \
        (after["answer_waits"] - before["answer_waits"]) == 7


def test_deleted_profile_answers_are_gone(server, recorded):
    _, prof = recorded
    pid = prof["id"]
    assert raw_get(server, f"/api/profiles/{pid}/functions")[0] == 200
    assert raw_get(server, f"/api/diff?before={pid}&after={pid}")[0] == 200
    assert server.request("DELETE", f"/api/profiles/{pid}")[0] == 200
    assert raw_get(server, f"/api/profiles/{pid}/functions")[0] == 404
    assert raw_get(server, f"/api/diff?before={pid}&after={pid}")[0] == 404


def test_timeline_windows_agree_with_fresh_answers(server, recorded):
    _, prof = recorded
    pid = prof["id"]
    info = server.get(f"/api/profiles/{pid}")
    t0, t1 = info["t_start"], info["t_end"]
    span = (t1 - t0) // 4
    windows = [(t0 + k * span, t0 + (k + 2) * span) for k in range(3)]
    first = [server.get(f"/api/profiles/{pid}/timeline?width=300&t0={a}&t1={b}&enc=json")
             for a, b in windows]
    for (a, b), answer in zip(reversed(windows), reversed(first)):
        # a leading zero: the same window, a new cache key, so computed again
        # after the other windows resolved their views
        again = server.get(f"/api/profiles/{pid}/timeline?width=300&t0=0{a}&t1={b}&enc=json")
        assert again == answer
        assert answer["t0"] == a and answer["t1"] == b
    # the view's time range also filters samples: a window's spans only
    # weigh samples inside it
    whole = server.get(f"/api/profiles/{pid}/timeline?width=300&enc=json")
    weight = lambda ans: sum(sum(t["spans"]["weight"][i] for i, d in
                                 enumerate(t["spans"]["depth"]) if d == 0)
                             for t in ans["threads"])
    assert weight(first[0]) < weight(whole)


def test_sgl_upload_scanned_numbers_match_a_full_load(spyglass, server, recorded):
    path, prof = recorded
    rep = report(spyglass, path)
    assert prof["format"] == "sgl"
    assert prof["samples"] == rep["samples"]
    assert prof["has_stacks"] is True
    listed = next(p for p in server.get("/api/profiles")["profiles"] if p["id"] == prof["id"])
    assert listed["samples"] == prof["samples"]
    assert listed["duration_ns"] == prof["duration_ns"] > 0
    assert listed["python"] == prof["python"] != ""
    # it answers at once (loaded in the background or by this query)
    funcs = server.get(f"/api/profiles/{prof['id']}/functions?limit=0")
    assert sum(funcs["rows"]["self"]) == server.get(f"/api/profiles/{prof['id']}")["total_weight"]


def test_sgl_upload_corrupt_byte_refused(spyglass, server, tmp_path):
    path = recording(spyglass, tmp_path, 1.0)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x40
    before = len(server.get("/api/profiles")["profiles"])
    status, _, err = server.request("POST", "/api/profiles", body=bytes(data),
                                    headers={"Content-Type": "application/octet-stream"})
    assert status == 400 and "checksum" in err["error"], err
    assert len(server.get("/api/profiles")["profiles"]) == before
    assert list((server.data / "tmp").iterdir()) == []
    assert len(list((server.data / "profiles").iterdir())) == before


def bytes_get(server, path, accept=None):
    """(status, lower-cased headers, the body's bytes as sent)."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=harness.timeout(60))
    try:
        conn.request("GET", path, headers={"Accept-Encoding": accept} if accept else {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def gz_get(server, path, accept="gzip, deflate, br"):
    status, headers, data = bytes_get(server, path, accept)
    if headers.get("content-encoding") is None:
        data = json.loads(data)
    return status, headers, data


def test_gzip_answer_decodes_to_the_plain_answer(server, recorded):
    _, prof = recorded
    pid = prof["id"]
    path = f"/api/profiles/{pid}/timeline?width=1200"
    status, headers, plain = bytes_get(server, path)  # plain first: computed, cached
    assert status == 200 and "content-encoding" not in headers
    assert headers["vary"] == "Accept-Encoding"
    bytes_plain = cache(server)["answer_bytes"]
    status, headers, body = bytes_get(server, path, "gzip, deflate, br")
    assert status == 200
    assert headers["content-encoding"] == "gzip"
    assert headers["vary"] == "Accept-Encoding"
    assert headers["content-type"] == "application/json"
    assert int(headers["content-length"]) == len(body)
    assert body[:2] == b"\x1f\x8b"  # a gzip member
    assert gzip.decompress(body) == plain  # the identical JSON, byte for byte
    assert len(body) < len(plain) / 3  # JSON digits compress well
    # the gzip copy is kept with the answer (counted), and served again as is
    after = cache(server)
    assert after["answer_bytes"] >= bytes_plain + len(body)
    assert after["answer_bytes"] <= after["answer_max_bytes"]
    assert bytes_get(server, path, "gzip")[2] == body
    assert bytes_get(server, path)[2] == plain
    assert cache(server)["answer_misses"] == after["answer_misses"]


def test_gzip_first_then_plain_same_json(server, recorded):
    """A gzip request that computes the answer: on loopback, plain (a first
    response: compressing it would cost more than the bytes); the next
    gzip request gets gzip, and a plain one the same JSON; one computation."""
    _, prof = recorded
    path = f"/api/profiles/{prof['id']}/functions?by=line&limit=0"
    before = cache(server)
    status, headers, first = bytes_get(server, path, "GZIP;q=0.5")
    assert status == 200 and "content-encoding" not in headers
    assert headers["vary"] == "Accept-Encoding"
    status, headers, body = bytes_get(server, path, "GZIP;q=0.5")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == first == bytes_get(server, path)[2]
    assert cache(server)["answer_misses"] == before["answer_misses"] + 1


def test_small_answers_errors_and_refusals_stay_plain(server, recorded):
    _, prof = recorded
    pid = prof["id"]
    big = f"/api/profiles/{pid}/timeline?width=1000"
    assert bytes_get(server, big)[0] == 200  # served once: gzip from now on
    small = f"/api/profiles/{pid}/source?file=nowhere.py"  # a 404: small, an error
    status, headers, body = gz_get(server, small)
    assert status == 404 and "content-encoding" not in headers and "error" in body
    tiny = f"/api/profiles/{pid}/functions?limit=1&filter=no_such_function_at_all"
    status, headers, body = gz_get(server, tiny)
    assert status == 200 and isinstance(body, dict)
    assert "content-encoding" not in headers and headers["vary"] == "Accept-Encoding"
    assert int(headers["content-length"]) < 1024
    for accept in ("identity", "gzip;q=0", "br, deflate", "*;q=0", "gzip;q=0.000, *"):
        status, headers, body = gz_get(server, big, accept)
        assert status == 200 and "content-encoding" not in headers, accept
        assert isinstance(body, dict) and body["width"] == 1000
    for accept in ("*", "x-gzip", "identity;q=1, gzip;q=0.1"):
        status, headers, body = gz_get(server, big, accept)
        assert headers.get("content-encoding") == "gzip", accept


# What Debian's chromium (156) sends to http://127.0.0.1, logged from a server.
CHROMIUM_ACCEPT = "gzip, deflate, br, zstd"


def test_browser_pan_on_loopback_goes_plain_then_gzip(server, recorded):
    """A timeline pan asked with chromium's Accept-Encoding over loopback:
    its first response is plain (compressing a new window would cost more
    CPU than the bytes cost), a repeat of it gzip; both decode to the same
    JSON, and it equals the answer to a client that accepts nothing."""
    _, prof = recorded
    path = f"/api/profiles/{prof['id']}/timeline?width=1300&enc=compact&t0=0&t1=900000000"
    status, headers, first = bytes_get(server, path, CHROMIUM_ACCEPT)
    assert status == 200 and "content-encoding" not in headers
    assert headers["vary"] == "Accept-Encoding"
    status, headers, body = bytes_get(server, path, CHROMIUM_ACCEPT)
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert gzip.decompress(body) == first == bytes_get(server, path)[2]
    assert json.loads(first)["enc"] == "compact"


def test_health_counts_timeline_scratch_and_answer_buffers(spyglass, tmp_path):
    """The timeline scratch kept between requests (tlpool) and the recycled
    answer buffers (bufpool) are shown in /api/health and bounded inside
    --cache-mb: the scratch within an eighth of the profiles' share."""
    srv = harness_server(spyglass, tmp_path, "--cache-mb", "64")
    try:
        h = srv.get("/api/health")["cache"]
        assert h["scratch_bytes"] == 0 and h["buffer_bytes"] == 0
        mib = 1 << 20
        assert h["scratch_max_bytes"] == (64 * mib - 8 * mib) // 8
        assert h["buffer_max_bytes"] == 8 * mib // 4
        total = (h["profile_max_bytes"] + h["answer_max_bytes"] + h["scratch_max_bytes"]
                 + h["buffer_max_bytes"])
        assert total == 64 * mib  # the four shares are --cache-mb, nothing on top
        path = recording(spyglass, tmp_path, 1.0)
        pid = srv.upload(path)["id"]
        assert srv.get(f"/api/profiles/{pid}/timeline?width=800&enc=compact")["enc"] == "compact"
        h = srv.get("/api/health")["cache"]
        assert 0 < h["scratch_bytes"] <= h["scratch_max_bytes"]
        assert h["buffer_bytes"] <= h["buffer_max_bytes"]
    finally:
        srv.stop()


def harness_server(spyglass, tmp_path, *extra):
    from test_serve import Server
    data = tmp_path / "data-health"
    return Server(spyglass, str(data), *extra)
