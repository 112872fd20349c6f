#!/usr/bin/env python3
"""web_data.py — generated inputs for the viewer benchmarks (bench/web).

  sampled N OUT.sgl   a wall-clock recording of N samples as `spyglass record`
                      would write it (docs/format.md, version 1): 8 threads
                      swept every millisecond, 5,000 functions in 20 packages,
                      50,000 distinct leaf stacks 8..64 deep with shared tops,
                      each thread staying on a stack for runs of 1..60
                      samples, thread states changing, GC pauses and markers.
  pstats F OUT.prof   a cProfile-style pstats file (marshal) of F functions
                      with 5 callers each on average.

Deterministic (fixed seeds). Needs only Python 3 and libzstd (Debian's
libzstd1, loaded through ctypes): the .sgl chunks are one zstd stream, as
the format requires. Progress goes to stderr.
"""
import ctypes
import marshal
import os
import random
import struct
import sys

# ---- encoding helpers --------------------------------------------------------


def varint(v, out):
    while v >= 0x80:
        out.append((v & 0x7F) | 0x80)
        v >>= 7
    out.append(v)


def svarint(v, out):
    varint((v << 1) ^ (v >> 63) if v < 0 else v << 1, out)


_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data):
    c = 0xFFFFFFFF
    t = _CRC_TABLE
    for b in data:
        c = t[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


class _Buf(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_void_p), ("size", ctypes.c_size_t), ("pos", ctypes.c_size_t)]


class ZstdStream:
    """One zstd compression stream; flush() returns what a chunk carries."""

    def __init__(self, level=3):
        self.z = ctypes.CDLL("libzstd.so.1")
        self.z.ZSTD_createCCtx.restype = ctypes.c_void_p
        self.z.ZSTD_compressStream2.restype = ctypes.c_size_t
        self.z.ZSTD_compressStream2.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
        self.z.ZSTD_CCtx_setParameter.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int]
        self.z.ZSTD_isError.argtypes = [ctypes.c_size_t]
        self.cctx = ctypes.c_void_p(self.z.ZSTD_createCCtx())
        self.z.ZSTD_CCtx_setParameter(self.cctx, 100, level)  # ZSTD_c_compressionLevel
        self.z.ZSTD_CCtx_setParameter(self.cctx, 101, 21)  # ZSTD_c_windowLog: 2 MiB <= 8 MiB

    def compress(self, raw, end):
        src = ctypes.create_string_buffer(bytes(raw), len(raw))
        inb = _Buf(ctypes.cast(src, ctypes.c_void_p), len(raw), 0)
        out = bytearray()
        cap = max(1 << 16, len(raw) // 2 + 1024)
        mode = 2 if end else 1  # ZSTD_e_end / ZSTD_e_flush
        while True:
            dst = ctypes.create_string_buffer(cap)
            outb = _Buf(ctypes.cast(dst, ctypes.c_void_p), cap, 0)
            left = self.z.ZSTD_compressStream2(self.cctx, ctypes.byref(outb), ctypes.byref(inb), mode)
            if self.z.ZSTD_isError(left):
                raise RuntimeError("zstd compression failed")
            out += dst.raw[: outb.pos]
            if left == 0 and inb.pos == len(raw):
                return bytes(out)


class SglWriter:
    def __init__(self, path):
        self.f = open(path, "wb")
        head = b"\x89SGL\r\n\x1a\n" + struct.pack("<HH", 1, 0)
        self.f.write(head + struct.pack("<I", crc32c(head)))
        self.z = ZstdStream()

    def chunk(self, records, end=False):
        raw = bytearray()
        for rtype, body in records:
            raw.append(rtype)
            varint(len(body), raw)
            raw += body
        assert len(raw) <= 64 << 20, "chunk too large"
        payload = self.z.compress(raw, end)
        h = b"SGLC" + struct.pack("<III", len(payload), len(raw), crc32c(payload))
        self.f.write(h + struct.pack("<I", crc32c(h)) + payload)

    def close(self):
        self.f.close()


# ---- the sampled profile -----------------------------------------------------


def sampled(n_samples, path):
    rng = random.Random(0x5EED)
    log = sys.stderr
    strings = {"": 0}
    order = []

    def sid(s):
        if s not in strings:
            strings[s] = len(strings)
            order.append(s)
        return strings[s]

    FRAMES, LEAVES, THREADS = 5000, 50000, 8
    frames = []
    for i in range(FRAMES):
        frames.append((sid("/proj/pkg%d/mod%d.py" % (i % 20, i % 300)), sid("func_%d" % i), 1 + (i * 7) % 400))
    thread_rows = [(1000 + t, sid("worker-%d" % t if t else "MainThread")) for t in range(THREADS)]
    meta_strings = [sid("python3 generated_app.py --bench"), sid("3.12.4"), sid("benchhost"), sid("0.1.0"), sid("gen2"), sid("checkpoint")]

    print("web_data: stacks…", file=log)
    rows = {}
    parent, frame, line = [], [], []

    def intern(p, f, ln):
        key = (p, f, ln)
        r = rows.get(key)
        if r is None:
            r = len(parent)
            rows[key] = r
            parent.append(p)
            frame.append(f)
            line.append(ln)
        return r

    leaves = []
    for _ in range(LEAVES):
        depth = 8 + rng.randrange(57)
        spine = rng.randrange(300)
        p = -1
        for d in range(depth):
            f = (spine * 7 + d * 13) % 64 if d < 6 else rng.randrange(FRAMES)
            p = intern(p, f, 1 + (f * 3 + d) % 50)
        leaves.append(p)

    def table_record(rtype, first, n, cols):
        b = bytearray()
        varint(first, b)
        varint(n, b)
        for col in cols:
            b += col
        return (rtype, bytes(b))

    sb = bytearray()
    varint(1, sb)
    varint(len(order), sb)
    for s in order:
        e = s.encode()
        varint(len(e), sb)
        sb += e
    fb = bytearray()
    varint(0, fb)
    varint(len(frames), fb)
    for fi, na, fl in frames:
        varint(fi, fb)
        varint(na, fb)
        varint(fl, fb)
    pc, fc, lc = bytearray(), bytearray(), bytearray()
    for i in range(len(parent)):
        varint(0 if parent[i] < 0 else i - parent[i], pc)
        varint(frame[i], fc)
        varint(line[i], lc)
    tb = bytearray()
    varint(0, tb)
    varint(THREADS, tb)
    for tid, name in thread_rows:
        varint(tid, tb)
        varint(name, tb)
    sweeps = (n_samples + THREADS - 1) // THREADS
    interval = 1_000_000
    mb = bytearray()
    meta = [(1, meta_strings[0]), (2, meta_strings[1]), (3, meta_strings[2]), (4, meta_strings[3]), (5, 4242),
            (6, 1_700_000_000_000_000_000), (7, interval), (8, 1), (9, 0), (10, 1), (11, sweeps * interval), (12, 0)]
    varint(len(meta), mb)
    for k, v in meta:
        varint(k, mb)
        varint(v, mb)
    # GC pauses (thread 0) and markers, every ~10 s of profile time.
    ev = []
    t = 5_000_000_000
    while t < sweeps * interval:
        ev.append((t, 1, 1, meta_strings[4]))
        ev.append((t + 3_000_000 + rng.randrange(5_000_000), 2, 1, meta_strings[4]))
        ev.append((t + 20_000_000, 3, 2, meta_strings[5]))
        t += 10_000_000_000
    ev.sort()
    eb = bytearray()
    varint(0, eb)
    varint(len(ev), eb)
    varint(1000, eb)
    last = 0
    for (et, _, _, _) in ev:
        svarint(et // 1000 - last, eb)
        last = et // 1000
    for e in ev:
        eb.append(e[1])
    for e in ev:
        varint(e[2], eb)
    for e in ev:
        varint(e[3], eb)

    w = SglWriter(path)
    w.chunk([(0x01, bytes(sb)), (0x02, bytes(fb)), table_record(0x03, 0, len(parent), [pc, fc, lc]),
             (0x04, bytes(tb)), (0x08, bytes(mb)), (0x06, bytes(eb))])
    print("web_data: %d stack rows, %d frames; samples…" % (len(parent), FRAMES), file=log)

    code = [0] * THREADS  # stack code per thread (0 = none, k = stack k-1)
    flags = [0] * THREADS
    run_left = [0] * THREADS
    cur = [0] * THREADS
    written = 0
    BATCH = 1_000_000
    sweep = 0
    while written < n_samples:
        n = min(BATCH, n_samples - written)
        td, th, sd, fl = bytearray(), bytearray(), bytearray(), bytearray()
        for k in range(n):
            t = (written + k) % THREADS
            td.append(2 if t == 0 and written + k > 0 else 0)  # svarint(1) = 2: one sweep later
            th.append(t)
            if run_left[t] == 0:
                a, b = rng.randrange(LEAVES), rng.randrange(LEAVES)
                cur[t] = leaves[min(a, b)] + 1
                run_left[t] = 1 + rng.randrange(60)
                nf = (1 if rng.random() < 0.7 else 0) | (2 if rng.random() < 0.5 else 0) | (4 if rng.random() < 0.15 else 0)
                fl.append(flags[t] ^ nf)
                flags[t] = nf
            else:
                fl.append(0)
            run_left[t] -= 1
            svarint(cur[t] - code[t], sd)
            code[t] = cur[t]
        body = bytearray()
        varint(written, body)
        varint(n, body)
        varint(interval, body)
        body += td + th + sd + fl
        varint(n, body)  # one run of weight 1
        varint(1, body)
        written += n
        last = written == n_samples
        recs = [(0x05, bytes(body))]
        if last:
            end = bytearray()
            varint(written, end)
            varint(len(ev), end)
            recs.append((0x09, bytes(end)))
        w.chunk(recs, end=last)
        print("web_data: %d / %d samples" % (written, n_samples), file=log)
    w.close()


# ---- pstats ------------------------------------------------------------------


def pstats(n_funcs, path):
    rng = random.Random(0xBEEF)
    keys = [("/proj/pkg%d/mod%d.py" % (i % 50, i % 2000), 1 + i % 900, "func_%d" % i) for i in range(n_funcs)]
    stats = {}
    for i, k in enumerate(keys):
        tt = rng.random() * 0.01 * (1 + (n_funcs - i) / n_funcs)
        nc = 1 + rng.randrange(1000)
        callers = {}
        for _ in range(rng.randrange(1, 10)):
            c = keys[rng.randrange(i)] if i > 0 else None
            if c is None or c in callers:
                continue
            cn = 1 + rng.randrange(nc)
            callers[c] = (cn, cn, tt * cn / nc, tt * 2 * cn / nc)
        stats[k] = (nc, nc, tt, tt * 2, callers)
    with open(path, "wb") as f:
        marshal.dump(stats, f)


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("sampled", "pstats"):
        sys.exit("usage: web_data.py sampled N OUT.sgl | pstats F OUT.prof")
    n = int(sys.argv[2])
    # Written beside the target and renamed at the end, so an interrupted or
    # concurrent run never leaves a half file that bench/web would take as done.
    out = sys.argv[3]
    tmp = "%s.%d.tmp" % (out, os.getpid())
    try:
        (sampled if sys.argv[1] == "sampled" else pstats)(n, tmp)
        os.replace(tmp, out)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


if __name__ == "__main__":
    main()
