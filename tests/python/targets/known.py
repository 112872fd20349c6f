"""Functions with known stacks and lines for the in-process tests. Lines that
tests look for carry `# @line:NAME` markers (tests/python/conftest.py reads
them). No decorators, so co_firstlineno is the `def` line."""
import threading
import time


def spin(seconds):
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end: n += 1  # noqa: E701  @line:spin
    return n


def leaf_a(seconds):
    return spin(seconds)  # @line:a_calls_spin


def leaf_b(seconds):
    return spin(seconds)  # @line:b_calls_spin


def outer(seconds):
    return leaf_a(seconds)  # @line:outer_calls_a


def waiter(event):
    event.wait()  # @line:waiter_waits


def worker(seconds):
    return leaf_b(seconds)  # @line:worker_calls_b


def start_thread(target, *args, name="worker"):
    t = threading.Thread(target=target, args=args, name=name)
    t.start()
    return t
