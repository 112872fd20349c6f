"""`spyglass record` against every interpreter: stacks, lines, threads and their
states, deep recursion, non-ASCII names, targets that exit early, fork or crash,
attaching with --pid, and the summary line. Targets are in tests/targets/; the
lines expected are their `# @line:` markers. The contract is in conftest.py.
"""

import dataclasses
import json
import subprocess
import time

import pytest

import harness
from harness import TargetFile, check_summary, dominant, record, show, total


def launch(spyglass, python, tmp_path, script, args=(), options=(), limit=60, name="out"):
    output = tmp_path / f"{name}.collapsed"
    return record(spyglass, output, options, command=python.command(script, *args), limit=limit)


def in_main(sample, target):
    """The sample was taken once the target's <module> had called main()."""
    return sample.frames[:1] == (target.frame("<module>", "module_calls_main"),)


def assert_stack(sample, expected, samples):
    got = list(sample.frames)
    assert got == expected, (
        "stack differs\n  expected: " + " ; ".join(map(str, expected)) +
        "\n  got:      " + " ; ".join(map(str, got)) + "\nheaviest stacks:\n" + show(samples))


# --- known stacks, the summary, no TTY status ----------------------------------

STACKS_SECONDS = 1.0


@pytest.fixture(scope="module")
def stacks_run(spyglass, python, tmp_path_factory):
    """stacks.py recorded once per interpreter at the default rate, no --duration."""
    run = launch(spyglass, python, tmp_path_factory.mktemp("stacks"), "stacks.py",
                 [harness.duration(STACKS_SECONDS)])
    return run


def expected_stacks(python):
    t = TargetFile("stacks.py")
    trunk = [t.frame("<module>", "module_calls_main"), t.frame("main", "main_calls_a")]
    deep = trunk + [t.frame("a", "a_calls_b"), t.frame(python.qualname("Box.b"), "b_calls_c"),
                    t.frame("c", "c_calls_leaf"), t.frame("leaf_deep", "leaf_deep")]
    shallow = trunk + [t.frame("a", "a_calls_shallow"), t.frame("leaf_shallow", "leaf_shallow")]
    return deep, shallow


def test_known_stacks_in_order_with_lines(stacks_run, python):
    stacks_run.check(0)
    samples = stacks_run.samples()
    deep, shallow = expected_stacks(python)
    assert_stack(dominant(samples), deep, samples)
    assert_stack(dominant(samples, lambda s: s.leaf == shallow[-1]), shallow, samples)


def test_known_stacks_split_of_time(stacks_run, python):
    """leaf_deep does twice the work of leaf_shallow: about 2/3 of the time. Loose
    bounds: this is a sanity check, the accuracy benchmark is in bench/."""
    samples = stacks_run.samples()
    deep, shallow = expected_stacks(python)
    n_deep = total(samples, lambda s: list(s.frames) == deep)
    n_shallow = total(samples, lambda s: list(s.frames) == shallow)
    running = total(samples, lambda s: in_main(s, TargetFile("stacks.py")))
    assert n_deep + n_shallow >= 0.95 * running, show(samples)
    assert 0.5 <= n_deep / (n_deep + n_shallow) <= 0.8, show(samples)


def test_summary_at_default_rate(stacks_run):
    summary = stacks_run.check(0)
    seconds = harness.duration(STACKS_SECONDS)
    check_summary(summary, requested=1000, seconds=(0.8 * seconds, seconds + harness.timeout(2)))
    assert_rate(summary, 1000)
    # One thread: every sample is at most one stack in the output.
    counted = total(stacks_run.samples())
    assert 0.8 * summary.samples <= counted <= summary.samples, (counted, summary)


def test_no_status_line_without_tty(stacks_run):
    stacks_run.check(0)  # includes: no \r and no escape sequence on stderr or stdout
    assert len(stacks_run.stderr.splitlines()) <= 10, stacks_run.describe()


def test_requested_rate(spyglass, python, tmp_path):
    seconds = harness.duration(0.7)
    run = launch(spyglass, python, tmp_path, "stacks.py", [seconds],
                 ["-r", "250", "--duration", str(seconds + harness.timeout(10))])
    summary = run.check(0)
    check_summary(summary, requested=250, seconds=(0.8 * seconds, seconds + harness.timeout(2)))
    assert_rate(summary, 250)


def assert_rate(summary, requested):
    """The loop keeps the requested schedule: every tick is sampled or, when
    the machine gave the sampler no CPU for ten intervals, counted as missed
    (never made up in a burst). Most ticks are sampled even on a busy machine."""
    assert abs(summary.scheduled_hz() - requested) <= 0.2 * requested, summary
    assert summary.hz >= 0.5 * requested, summary


# --- threads: names, TIDs, wall / cpu / GIL ------------------------------------


@pytest.fixture(scope="module")
def threads_runs(spyglass, python, tmp_path_factory):
    """threads.py attached to in its steady state and recorded three ways:
    wall, --mode cpu and --gil, all with --threads."""
    tmp = tmp_path_factory.mktemp("threads")
    target = harness.Target(python.command("threads.py", harness.timeout(120)))
    try:
        info = target.wait_ready()
        harness.settle(target.pid, info["tids"], ["worker-sleep", "MainThread"])
        runs = {}
        for mode, options in (("wall", ["--mode", "wall"]), ("cpu", ["--mode", "cpu"]),
                              ("gil", ["--gil"])):
            runs[mode] = record(spyglass, tmp / f"{mode}.collapsed",
                                ["--threads", "--duration", str(harness.duration(0.5)), *options],
                                pid=target.pid)
        assert target.alive(), "the target died while recorded"
        return runs, info["tids"]
    finally:
        target.kill()


def test_thread_names_and_tids(threads_runs, python):
    runs, tids = threads_runs
    run = runs["wall"]
    summary = run.check(0)
    samples = run.samples()
    threads = {s.thread for s in samples}
    assert threads == {(name, tid) for name, tid in tids.items()}, show(samples)
    # Wall mode: every thread is in (nearly) every sample, idle or not.
    for name, group in harness.by_thread(samples).items():
        assert total(group) >= 0.7 * summary.samples, (name, summary, show(samples))


def test_thread_stacks_wall(threads_runs, python):
    runs, tids = threads_runs
    samples = runs["wall"].samples()
    t = TargetFile("threads.py")
    groups = harness.by_thread(samples)

    busy = dominant(groups["worker-busy"])
    assert busy.leaf == t.frame("spin", "worker_busy"), show(samples)
    assert busy.frames[0].function.endswith("_bootstrap"), show(samples)
    assert busy.frames[0].file.endswith("threading.py"), show(samples)

    sleep = dominant(groups["worker-sleep"])
    assert sleep.leaf == t.frame("nap", "worker_sleep"), show(samples)
    assert sleep.frames[0].function.endswith("_bootstrap"), show(samples)

    main = dominant(groups["MainThread"])
    assert main.frames[:2] == (t.frame("<module>", "module_calls_main"),
                               t.frame("main", "main_join")), show(samples)
    assert all(f.file.endswith("threading.py") for f in main.frames[2:]), show(samples)


@pytest.mark.parametrize("mode", ["cpu", "gil"])
def test_only_the_busy_thread_in_cpu_and_gil_modes(threads_runs, python, mode):
    runs, tids = threads_runs
    run = runs[mode]
    summary = run.check(0)
    samples = run.samples()
    assert {s.thread for s in samples} == {("worker-busy", tids["worker-busy"])}, \
        f"--{mode}: only worker-busy runs and holds the GIL\n" + show(samples)
    assert total(samples) >= 0.5 * summary.samples, (summary, show(samples))
    t = TargetFile("threads.py")
    assert dominant(samples).leaf == t.frame("spin", "worker_busy"), show(samples)


# --- recursion ------------------------------------------------------------------

DEPTH = 1000


def test_recursion_1000_deep(spyglass, python, tmp_path):
    run = launch(spyglass, python, tmp_path, "recursion.py", [harness.duration(0.5), DEPTH])
    run.check(0)
    samples = run.samples()
    t = TargetFile("recursion.py")
    expected = ([t.frame("<module>", "module_calls_main"), t.frame("main", "main_calls_recurse")] +
                [t.frame("recurse", "recurse_calls_self")] * (DEPTH - 1) +
                [t.frame("recurse", "recurse_calls_leaf"), t.frame("leaf", "leaf_busy")])
    assert_stack(dominant(samples), expected, samples)

    def depth(s):
        return s.functions().count("recurse")

    assert max(depth(s) for s in samples) == DEPTH, show(samples)
    # Once in main() (startup is not the point here), nearly every sample is at
    # full depth: the descent takes microseconds, a stack cut short is a bug.
    running = total(samples, lambda s: in_main(s, t))
    full = total(samples, lambda s: depth(s) == DEPTH)
    partial = total(samples, lambda s: 0 < depth(s) < DEPTH)
    assert full >= 0.98 * running, show(samples)
    assert partial <= 0.01 * running, \
        f"{partial} of {running} samples cut short of {DEPTH} frames\n" + show(samples)


# --- non-ASCII names ------------------------------------------------------------


def test_non_ascii_function_names(spyglass, python, tmp_path):
    run = launch(spyglass, python, tmp_path, "unicode_names.py", [harness.duration(0.5)])
    run.check(0)
    samples = run.samples()
    t = TargetFile("unicode_names.py")
    expected = [t.frame("<module>", "module_calls_main"), t.frame("main", "main_calls_latin1"),
                t.frame("données", "latin1_calls_ucs2"),       # Latin-1
                t.frame("计算", "ucs2_calls_ucs4"),             # UCS-2
                t.frame("\U00020000\U00020001", "ucs4_busy")]  # UCS-4
    assert_stack(dominant(samples), expected, samples)


# --- targets that end on their own ----------------------------------------------


def test_early_exit_propagates_status(spyglass, python, tmp_path):
    requested = harness.duration(5.0)
    run = launch(spyglass, python, tmp_path, "early_exit.py", [0.2, 3],
                 ["--duration", str(requested)])
    summary = run.check(3)
    assert run.elapsed < requested, f"record did not end when the target did\n{run.describe()}"
    assert summary.seconds < requested, summary
    samples = run.samples()
    t = TargetFile("early_exit.py")
    assert dominant(samples).leaf == t.frame("busy_then_exit", "busy"), show(samples)


@pytest.mark.parametrize("kind,signo", [("abort", 6), ("segv", 11)])
def test_crash_keeps_output(spyglass, python, tmp_path, kind, signo):
    run = launch(spyglass, python, tmp_path, "crash.py", [harness.duration(0.3), kind])
    summary = run.check(128 + signo)
    assert summary.samples > 0, summary
    samples = run.samples()
    t = TargetFile("crash.py")
    # The program's own samples (on a busy machine, the interpreter's start-up
    # can take more samples than the 0.3 s of work).
    mine = dominant(samples, lambda s: len(s.frames) > 1 and s.frames[0].file == t.path
                    and s.frames[1].function == "main")
    assert mine.leaf == t.frame("busy_before_crash", "busy"), show(samples)


# --- fork -----------------------------------------------------------------------


def fork_info(run):
    for line in run.stdout.splitlines():
        if line.startswith("READY "):
            return json.loads(line[6:])
    raise AssertionError(f"fork.py printed no READY line through record\n{run.describe()}")


def test_fork_follows_the_parent(spyglass, python, tmp_path):
    run = launch(spyglass, python, tmp_path, "fork.py", [harness.duration(0.7)], ["--threads"])
    run.check(0)
    info = fork_info(run)
    samples = run.samples()
    t = TargetFile("fork.py")
    parent = [s for s in samples if s.leaf == t.frame("parent_busy", "parent_busy")]
    assert parent, show(samples)
    assert {s.thread for s in parent} == {("MainThread", info["pid"])}, show(samples)
    assert not [s for s in samples if "child_busy" in s.functions()], \
        "the child was recorded without --subprocesses\n" + show(samples)
    assert info["child"] not in {s.thread[1] for s in samples}, show(samples)


def test_fork_with_subprocesses(spyglass, python, tmp_path):
    run = launch(spyglass, python, tmp_path, "fork.py", [harness.duration(0.7)],
                 ["--threads", "--subprocesses"])
    run.check(0)
    info = fork_info(run)
    samples = run.samples()
    t = TargetFile("fork.py")
    for function, tid in (("parent_busy", info["pid"]), ("child_busy", info["child"])):
        mine = [s for s in samples if s.leaf == t.frame(function, function)]
        assert mine, f"no sample of {function}\n" + show(samples)
        assert {s.thread for s in mine} == {("MainThread", tid)}, show(samples)
        assert total(mine) >= 0.3 * total(samples), show(samples)


# --- attaching ------------------------------------------------------------------


def test_attach_records_for_the_duration_and_leaves_target_running(spyglass, python, tmp_path,
                                                                   spawn):
    target = spawn(python.command("attach.py", harness.timeout(120)))
    target.wait_ready()
    time.sleep(0.1)
    states = []
    seconds = harness.duration(0.7)
    run = record(spyglass, tmp_path / "out.collapsed", ["--duration", str(seconds)],
                 pid=target.pid, poll=lambda: states.append(harness.process_state(target.pid)))
    summary = run.check(0)
    check_summary(summary, requested=1000, seconds=(0.9 * seconds, seconds + harness.timeout(1)))
    assert run.elapsed < seconds + harness.timeout(5), run.describe()
    assert target.alive(), "record killed the target it attached to"
    assert not {"T", "t"} & set(states), f"the target was stopped while recorded: {set(states)}"
    harness.assert_keeps_running(target.pid, "record")

    samples = run.samples()
    t = TargetFile("attach.py")
    expected = [t.frame("<module>", "module_calls_main"), t.frame("main", "main_calls_busy"),
                t.frame("attached_busy", "busy")]
    assert_stack(dominant(samples), expected, samples)


def test_attach_ends_when_the_target_exits(spyglass, python, tmp_path, spawn):
    lifetime = harness.timeout(1.0)
    target = spawn(python.command("attach.py", lifetime))
    target.wait_ready()
    requested = lifetime + harness.timeout(20)
    run = record(spyglass, tmp_path / "out.collapsed", ["--duration", str(requested)],
                 pid=target.pid)
    summary = run.check(0)
    assert run.elapsed < lifetime + harness.timeout(5), run.describe()
    assert summary.samples > 0, summary
    t = TargetFile("attach.py")
    samples = run.samples()
    assert dominant(samples).leaf == t.frame("attached_busy", "busy"), show(samples)


# --- call-heavy code: torn reads neither dropped in bulk nor biasing the split --

# A target that alternates two functions and times each itself: the true
# split of the very run recorded. It prints {"<a>": seconds, "<b>": seconds}.
TIMED_SPLIT = '''
def main(seconds):
    clock = time.perf_counter
    spent = {"FIRST": 0.0, "SECOND": 0.0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        t0 = clock(); FIRST(); t1 = clock(); SECOND(); t2 = clock()
        spent["FIRST"] += t1 - t0
        spent["SECOND"] += t2 - t1
    print(json.dumps(spent), flush=True)

main(float(sys.argv[1]))
'''


def timed_split(definitions, a, b):
    return definitions + TIMED_SPLIT.replace("FIRST", a).replace("SECOND", b)


CALL_HEAVY = timed_split('''
import json, sys, time

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def squares(n):
    for i in range(n):
        yield i * i

def calls():
    # frames come and go every few tens of nanoseconds: recursion and a
    # generator resumed per item
    return fib(12) + sum(squares(300))

def loops():
    x = 0
    for i in range(6000):
        x += i
    return x

''', "calls", "loops")


def record_timed_split(spyglass, python, tmp_path, script, a, b, seen=None):
    """Records a timed_split target; returns the share of `a` it measured
    itself, the share of samples in which `seen` (default `a`) appears
    against those in `b`, and the summary."""
    path = tmp_path / "split.py"
    path.write_text(script)
    run = launch(spyglass, python, tmp_path, str(path), [harness.duration(1.5)])
    summary = run.check(0)
    truth = json.loads(run.stdout.strip().splitlines()[-1])
    samples = run.samples()
    n_seen = total(samples, lambda s: (seen or a) in s.functions())
    n_b = total(samples, lambda s: b in s.functions())
    assert n_seen + n_b >= 500, show(samples)
    return truth[a] / (truth[a] + truth[b]), n_seen / (n_seen + n_b), summary


def test_call_heavy_code_is_not_torn_away(spyglass, python, tmp_path):
    """Recursion and generators move a stack's top faster than any read of it:
    a torn read must be read again, not dropped, or the profile under-counts
    exactly the code that calls most (bench/accuracy's phase_d measures it).
    The target times its own split; the measured split must match it and few
    stacks may be dropped as torn, loaded machine or not."""
    true_calls, measured, summary = record_timed_split(spyglass, python, tmp_path, CALL_HEAVY,
                                                       "calls", "loops")
    assert summary.torn <= 0.01 * summary.samples + 3, f"too many torn: {summary}"
    # An over-count is no torn-read drift (that only ever moves samples out
    # of the call-heavy code), and a call-heavy function all but gone means
    # its stacks are lost, not late. Under ASan every read is several times
    # slower and the drift has no floor worth asserting (3.9: 3.6% against
    # 15.7% once).
    assert measured <= true_calls + 0.05, f"calls measured {measured:.3f}, true {true_calls:.3f}"
    if not harness.SANITIZED:
        assert measured >= true_calls / 6, f"calls measured {measured:.3f}, true {true_calls:.3f}; {summary}"
    if measured < true_calls - 0.05:
        # Known open weakness, every version: a torn read is read again, and
        # the retry that succeeds lands microseconds later, often after the
        # call-heavy function returned (its calls here last ~27 us on 3.13;
        # a read and its retry take 10-30 us on a 2-vCPU guest, longer under
        # load). Measured 6% of samples against 11.5% of the time on 3.13,
        # 10% against 16% on 3.9/3.10, and on 3.11 within 1-3 points quiet
        # but 5.5 in a loaded CI run. See sampler.c, "Why so many retries".
        # Shown, not hidden: reported as xfail with its figures.
        pytest.xfail(f"known torn-read drift: calls measured {measured:.3f}, true {true_calls:.3f}; {summary}")


RECURSION = timed_split('''
import json, sys, time

def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)

def recursion():
    return fib(14)

def loops():
    x = 0
    for i in range(2000):
        x += i
    return x

''', "recursion", "loops")


def test_recursion_is_seen_in_proportion(spyglass, python, tmp_path):
    """Recursion moves the frame pointer every ~60 ns: a read whose pointer
    must read the same at both ends is retried until the recursion returns.
    On 3.9/3.10 fib(14) was ~2% of the samples for ~50% of the time, before
    a read whose pointer moved only along the chain it copied was taken
    (sampler.c, "Moved along the chain"). The target times its own split;
    recursion must get at least a third of its true share."""
    true_share, measured, summary = record_timed_split(spyglass, python, tmp_path, RECURSION,
                                                       "recursion", "loops", seen="fib")
    assert measured <= true_share + 0.05, f"fib measured {measured:.3f}, true {true_share:.3f}"
    # Under ASan every read is several times slower: no floor worth asserting.
    if not harness.SANITIZED:
        assert measured >= true_share / 3, f"fib measured {measured:.3f}, true {true_share:.3f}; {summary}"


# --- a deep stack whose top never holds still -----------------------------------


def test_deep_stack_with_a_busy_top_is_read_whole(spyglass, python, tmp_path):
    """300 frames that hold still under a top that calls and returns every
    microsecond or two (bench/deep, smaller). Each stack is read whole or
    dropped, and few are dropped: on 3.9/3.10 (frame objects) the top part
    is re-read alone when it moved, the lower frames kept (sampler.c, "Frame
    objects"); before that, a quarter of these stacks were dropped there."""
    script = harness.REPO / "bench" / "targets" / "deep.py"
    run = launch(spyglass, python, tmp_path, str(script), [300, harness.duration(1.5)])
    summary = run.check(0)
    samples = run.samples()
    in_churn = total(samples, lambda s: "churn" in s.functions())
    assert in_churn >= 500, show(samples)
    for s in samples:
        names = list(s.functions())
        if "churn" in names:
            at = names.index("churn")
            assert names[at - 300:at] == ["deep"] * 300 and names[:at - 300] == ["<module>", "main"], \
                f"cut or wrong stack: {names[:4]}...{names[at - 3:]}"
            assert set(names[at + 1:]) <= {"wiggle"}, names[at:]
    # Quiet, about one stack in a thousand is torn; a loaded machine (the
    # whole suite running beside) tore 3% once. Before, a quarter was.
    limit = 0.20 if harness.SANITIZED else 0.10
    assert summary.torn <= limit * summary.samples, summary


# --- a stack is whole or dropped: never cut to its newest frames --------------

GENERATORS = '''
import sys, time

def squares(n):
    for i in range(n):
        yield i * i

def rec(depth):
    if depth == 0:
        # resumed from C (sum) and from Python (a for loop)
        total = sum(squares(200))
        for v in squares(50):
            total += v
        return total
    return rec(depth - 1)

def main(seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        rec(5)

main(float(sys.argv[1]))
'''


def test_generator_stacks_reach_the_root(spyglass, python, tmp_path):
    """A suspended generator's frame has no caller (it is cleared at every
    yield, and set again at every resume): a read that found the thread in a
    generator and copied the generator's frame after it yielded once gave
    stacks of just `squares`, none of its callers (3.9-3.13). Every stack
    that runs the target's code must start at its <module> and main, with
    the generator under rec; a read that cannot show that is dropped."""
    script = tmp_path / "generators.py"
    script.write_text(GENERATORS)
    run = launch(spyglass, python, tmp_path, str(script), [harness.duration(1.5)],
                 ["-r", "2000"])
    run.check(0)
    samples = run.samples()
    ours = [s for s in samples if any(f.file == str(script) for f in s.frames)]
    n_squares = total(ours, lambda s: "squares" in s.functions())
    assert n_squares >= 50, show(samples)

    def whole(s):
        names = s.functions()
        if s.frames[0] != dataclasses.replace(s.frames[0], function="<module>", file=str(script)):
            return False
        if "squares" in names or "rec" in names:
            return names[1] == "main" and names[2] == "rec" and (
                "squares" not in names or names[names.index("squares") - 1] == "rec")
        return True

    cut = [s for s in ours if not whole(s)]
    assert not cut, (f"{total(cut, lambda s: True)} of {total(ours, lambda s: True)} "
                     "stacks do not reach the root:\n" + show(cut))


# --- callbacks from C at one depth ------------------------------------------------

CALLBACK_CALLS = {("<module>", "work"), ("work", "inner"), ("work", "cb"), ("work", "<genexpr>"),
                  ("inner", "key"), ("cb", "<lambda>")}


def test_callbacks_from_c_keep_their_callers(spyglass, python, tmp_path):
    """callbacks.py has C code call key(), a lambda and a generator from the
    same depth, microseconds apart: each frame takes the last one's address.
    A read whose frame pointer was the same at both ends can still have
    copied the stack between two such calls, and then joins one call's
    caller to another's callee (`cb -> key`, `<genexpr> -> <lambda>`): the
    equal-pointer check's blind spot (sampler.c, "Tears"). Before the
    pointer was read wherever it lately lived and callees were checked to
    sit right above their callers ("Where the pointer lives", "Where a
    callee sits"), 1-4% of these stacks were joined on 3.11, ~0.3% on
    3.13 and rarely on 3.12. None may be."""
    script = harness.TARGETS / "callbacks.py"
    run = launch(spyglass, python, tmp_path, "callbacks.py", [harness.duration(1.5)])
    run.check(0)
    # The target's own code: the import of _target at startup aside.
    ours = [s for s in run.samples() if s.frames and all(f.file == str(script) for f in s.frames)]
    assert total(ours, lambda s: True) >= 300, show(ours)

    def calls(s):
        names = [f.split(".")[-1] for f in s.functions()]
        return list(zip(names, names[1:]))

    wrong = [s for s in ours if not set(calls(s)) <= CALLBACK_CALLS]
    n_wrong, n = total(wrong, lambda s: True), total(ours, lambda s: True)
    assert not wrong, f"{n_wrong} of {n} stacks join two calls:\n" + show(wrong)


# --- code objects that die right after they ran --------------------------------


def test_code_that_died_is_not_named_from_its_leftovers(spyglass, python, tmp_path):
    """fresh_code.py compiles a module body with a function in it, runs it
    in a fresh dict and drops both, round after round: each round's code
    objects land where the last round's were, with globals at the same
    address too. Naming a frame from a code object after it died (the line
    table freed: line 0; the name reused) or from the code that last sat at
    its address (a <fresh> body called `work`) was 1-4% of these stacks on
    every version (src/collect/code_cache.c). Every <fresh> frame must name
    the code that runs there, at a line it has."""
    target = TargetFile("fresh_code.py")
    lines = json.loads(subprocess.run(python.command("fresh_code.py", "--lines"),
                                      capture_output=True, check=True, text=True,
                                      cwd=harness.TARGETS).stdout)
    run = launch(spyglass, python, tmp_path, "fresh_code.py", [harness.duration(2.0)],
                 ["-r", "1000"])
    run.check(0)
    samples = run.samples()
    trunk = [target.frame("<module>", "module_calls_main"), target.frame("main", "main_execs")]

    def right(s):
        fresh = [f for f in s.frames if f.file == "<fresh>"]
        if not fresh:
            return True
        names = [f.function for f in fresh]
        return (list(s.frames[:2]) == trunk and names in (["<module>"], ["<module>", "work"])
                and all(f.line in lines[f.function] for f in fresh))

    fresh = total(samples, lambda s: any(f.file == "<fresh>" for f in s.frames))
    assert fresh >= 200, show(samples)
    wrong = [s for s in samples if not right(s)]
    assert not wrong, (f"{total(wrong)} of {fresh} stacks name <fresh> code wrongly:\n" +
                       show(wrong))
