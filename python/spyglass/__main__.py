"""`python -m spyglass`: profile a script or module from inside its own
interpreter, like `python -m cProfile`.

    python -m spyglass run [--rate HZ] [--mode wall|cpu] [-o FILE] script.py [args...]
    python -m spyglass run [options] -m module [args...]
    python -m spyglass check        # can this interpreter sample itself?

The program runs as __main__ with its own sys.argv; its exit status is ours.
The profile is written when it ends, however it ends (return, sys.exit, an
exception, Ctrl-C), and a summary line goes to stderr.
"""

import argparse
import os
import runpy
import sys

from . import _profiler


def _parser():
    p = argparse.ArgumentParser(prog="python -m spyglass",
                                description="spyglass: the in-process sampling profiler")
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="profile a script or module (-m) in this interpreter")
    run.add_argument("-r", "--rate", type=float, default=1000,
                     help="samples per second (default 1000)")
    run.add_argument("--mode", choices=("wall", "cpu"), default="wall",
                     help="wall: every thread (default); cpu: only threads on a CPU")
    run.add_argument("-o", "--output", help="where to write (default spyglass-PID.sgl)")
    run.add_argument("--no-gc", action="store_true", help="do not record GC events")
    run.add_argument("-m", dest="module", help="run a library module as a script")
    run.add_argument("args", nargs=argparse.REMAINDER, help="script.py and its arguments")
    sub.add_parser("check", help="say whether and how this interpreter can sample itself")
    return p


def _check():
    from . import _spyglass
    ok_all = True
    for guarded, force_fd in ((True, False), (False, False), (False, True)):
        r = _spyglass.mem_self_check(force_fd=force_fd, guarded=guarded)
        # (a PROT_NONE page reads back through /proc/self/mem, which may
        # force-read it; what matters is that nothing faults)
        ok = r["known"] and r["unmapped"] < 0 and r["straddling"] < 0
        ok_all = ok_all and (ok or not guarded)
        print(f"memory source {r['method']}: {'ok' if ok else 'NOT USABLE'}"
              + (f" (faults caught: {r['faults']})" if guarded else ""))
    prof = _profiler.Profiler(rate=1000, gc=False)
    with prof:
        import time
        t = time.monotonic()
        while time.monotonic() - t < 0.2:
            pass
    s = prof.stats()
    print(f"sampled {s['samples']} stacks in {s['rounds']} rounds via {s['memory_source']}: "
          f"{'ok' if s['samples'] else 'NOTHING SAMPLED'}")
    print(f"on-CPU state read from {s['cpu_state']}"
          + (": ok (no syscall per thread per sample)" if s["cpu_state"] == "switch records"
             else " (one syscall per thread per sample)"))
    if not s["memory_source"].startswith("guarded"):
        print("note: the sampler reads through the kernel (slower, as safe); with a fault "
              "handler of the program's own installed after spyglass's (faulthandler.enable(), "
              "signal.signal(SIGSEGV, ...)) that is expected")
    return 0 if s["samples"] and ok_all else 1


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "check":
        return _check()
    if args.module is None and not args.args:
        _parser().error("run needs a script (or -m module)")
    if not (1 <= args.rate <= 100000):
        _parser().error(f"--rate must be 1..100000, not {args.rate:g}")
    output = args.output or f"spyglass-{os.getpid()}.sgl"
    if args.module is not None:
        sys.argv = [args.module] + args.args
    else:
        script = os.path.abspath(args.args[0])
        if not os.path.exists(script):
            print(f"spyglass: error: no such script: {args.args[0]}", file=sys.stderr)
            return 2
        sys.argv = [script] + args.args[1:]
        sys.path[0] = os.path.dirname(script)
    prof = _profiler.Profiler(rate=args.rate, mode=args.mode, gc=not args.no_gc)
    status = 0
    prof.start()
    try:
        if args.module is not None:
            runpy.run_module(args.module, run_name="__main__", alter_sys=True)
        else:
            runpy.run_path(sys.argv[0], run_name="__main__")
    except SystemExit as e:
        status = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
        if e.code is not None and not isinstance(e.code, int):
            print(e.code, file=sys.stderr)
    except KeyboardInterrupt:
        status = 130
    except BaseException:
        import traceback
        traceback.print_exc()
        status = 1
    finally:
        prof.stop()
        s = prof.stats()
        info = prof.save(output)
        secs = s["elapsed_ns"] / 1e9
        print(f"spyglass: {s['rounds']} samples in {secs:.2f} s, "
              f"{(s['rounds'] / secs if secs else 0):.1f} Hz (of {args.rate:g}), {s['torn']} torn, "
              f"{s['failed']} failed; {s['samples']} thread stacks", file=sys.stderr)
        print(f"spyglass: wrote {info}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
