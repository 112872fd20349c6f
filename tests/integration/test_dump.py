"""`spyglass dump --pid PID [--json]` on every interpreter: a process blocked in
a known call, named threads in known states, non-ASCII names; and dump leaves
the target running. The contract is in conftest.py.
"""

import time

import harness
from harness import TargetFile


def frames_of(thread):
    return [(f["function"], f["file"], f["line"], f["first_line"]) for f in thread["frames"]]


def expected_frame(target, function, mark, python=None):
    name = python.qualname(function) if python else function
    return (name, target.path, target.line(mark), target.def_line(function))


def start_blocked(spawn, python):
    target = spawn(python.command("blocked.py", harness.timeout(120)))
    target.wait_ready()
    harness.settle(target.pid, {"MainThread": target.pid}, ["MainThread"])
    return target


def blocked_frames():
    t = TargetFile("blocked.py")
    return [expected_frame(t, "<module>", "module_calls_main"),
            expected_frame(t, "main", "main_calls_outer"),
            expected_frame(t, "outer", "outer_calls_wait"),
            expected_frame(t, "wait_here", "wait_here_sleep")]


def test_dump_json_blocked_in_known_call(spyglass, python, spawn):
    target = start_blocked(spawn, python)
    doc = harness.dump_json(spyglass, target.pid)
    assert doc["pid"] == target.pid, doc
    assert doc["python"] == python.version, doc
    assert len(doc["threads"]) == 1, doc
    thread = doc["threads"][0]
    assert thread["tid"] == target.pid, thread
    assert thread["name"] == "MainThread", thread
    assert thread["holds_gil"] is False, thread
    assert thread["on_cpu"] is False, thread
    assert frames_of(thread) == blocked_frames(), thread


def test_dump_text_blocked_in_known_call(spyglass, python, spawn):
    target = start_blocked(spawn, python)
    run = harness.dump(spyglass, target.pid, as_json=False)
    assert run.returncode == 0, run.describe()
    harness.assert_no_tty_status(run)
    lines = run.stdout.splitlines()
    header = [i for i, line in enumerate(lines) if "MainThread" in line and str(target.pid) in line]
    assert header, f"no line names the thread (MainThread, {target.pid})\n{run.stdout}"
    position = header[0]
    for function, file, line, _ in blocked_frames():  # oldest first, like a traceback
        want = f'File "{file}", line {line}, in {function}'
        found = [i for i, text in enumerate(lines) if want in text and i > position]
        assert found, f"missing or out of order: {want}\n{run.stdout}"
        position = found[0]


def test_dump_json_threads(spyglass, python, spawn):
    target = spawn(python.command("threads.py", harness.timeout(120)))
    tids = target.wait_ready()["tids"]
    harness.settle(target.pid, tids, ["worker-sleep", "MainThread"])
    doc = harness.dump_json(spyglass, target.pid)
    threads = {t["name"]: t for t in doc["threads"]}
    assert sorted(threads) == sorted(tids), doc
    for name, tid in tids.items():
        assert threads[name]["tid"] == tid, threads[name]
    t = TargetFile("threads.py")

    sleep = threads["worker-sleep"]
    assert sleep["on_cpu"] is False and sleep["holds_gil"] is False, sleep
    assert frames_of(sleep)[-1] == expected_frame(t, "nap", "worker_sleep"), sleep
    assert sleep["frames"][0]["file"].endswith("threading.py"), sleep

    busy = threads["worker-busy"]
    assert busy["on_cpu"] is True and busy["holds_gil"] is True, busy
    assert frames_of(busy)[-1] == expected_frame(t, "spin", "worker_busy"), busy

    main = threads["MainThread"]
    assert main["on_cpu"] is False and main["holds_gil"] is False, main
    assert frames_of(main)[:2] == [expected_frame(t, "<module>", "module_calls_main"),
                                   expected_frame(t, "main", "main_join")], main

    assert [n for n, th in threads.items() if th["holds_gil"]] == ["worker-busy"], doc


def test_dump_json_non_ascii_names(spyglass, python, spawn):
    target = spawn(python.command("unicode_names.py", harness.timeout(120), "ready"))
    target.wait_ready()
    time.sleep(0.2)
    doc = harness.dump_json(spyglass, target.pid)
    t = TargetFile("unicode_names.py")
    (thread,) = doc["threads"]
    # One sample: the leaf is nearly always in its inner loop, but between
    # two inner loops it is at the outer loop's test (CI caught it there
    # once, Debian's 3.11 under ASan).
    leaves = [expected_frame(t, "\U00020000\U00020001", mark)
              for mark in ("ucs4_busy", "ucs4_outer")]
    assert frames_of(thread)[:4] == [
        expected_frame(t, "<module>", "module_calls_main"),
        expected_frame(t, "main", "main_calls_latin1"),
        expected_frame(t, "données", "latin1_calls_ucs2"),
        expected_frame(t, "计算", "ucs2_calls_ucs4"),
    ], thread
    assert len(thread["frames"]) == 5 and frames_of(thread)[4] in leaves, thread


def test_dump_leaves_the_target_running(spyglass, python, spawn):
    target = spawn(python.command("attach.py", harness.timeout(120)))
    target.wait_ready()
    harness.dump_json(spyglass, target.pid)
    assert target.alive()
    harness.assert_keeps_running(target.pid, "dump")
