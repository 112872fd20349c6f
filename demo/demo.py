"""A small program with somewhere to spend its time, for `make demo`.

It does what many real programs do: parses JSON, crunches numbers, matches
regular expressions, sorts, and waits on a background thread that sleeps
as if it were doing I/O. Run it alone with `python3 demo/demo.py [SECONDS]`.
"""
import json
import re
import sys
import threading
import time

WORDS = re.compile(r"\b[a-z]{4,}\b")


def make_document(n):
    return json.dumps({"items": [{"id": i, "text": f"item number {i} of the demo"} for i in range(n)]})


def parse_documents(rounds):
    total = 0
    for _ in range(rounds):
        total += len(json.loads(make_document(200))["items"])
    return total


def is_prime(n):
    if n < 2:
        return False
    k = 2
    while k * k <= n:
        if n % k == 0:
            return False
        k += 1
    return True


def count_primes(limit):
    return sum(1 for n in range(limit) if is_prime(n))


def word_frequencies(text):
    counts = {}
    for word in WORDS.findall(text):
        counts[word] = counts.get(word, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def poll_io(stop):
    """A thread that mostly waits, as a network or disk client does."""
    while not stop.is_set():
        time.sleep(0.05)


def main(seconds):
    stop = threading.Event()
    io = threading.Thread(target=poll_io, args=(stop,), name="io-poller")
    io.start()
    text = open(__file__, encoding="utf-8").read() * 20
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        parse_documents(20)
        count_primes(20000)
        word_frequencies(text)
    stop.set()
    io.join()


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 5.0)
