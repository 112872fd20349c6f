"""spyglass — the in-process sampling profiler.

A native thread inside this process samples every Python thread's stack,
1,000 times a second by default, without taking the GIL; the profile is the
same model, and the same `.sgl` file, as `spyglass record` writes.

    import spyglass

    with spyglass.profile("app.sgl"):          # one-liner: records, then saves
        main()

    prof = spyglass.Profiler(rate=1000, mode="wall")
    prof.start(); ...; prof.pause(); ...; prof.resume(); ...; prof.stop()
    prof.save("app.sgl")                       # or prof.snapshot(), prof.upload(url)

    prof = spyglass.Profiler(window=1.0, history=300)   # rolling history
    prof.start(); ...; prof.snapshot(last=30).save("last30s.sgl")

    spyglass.mark("request 42 begins")         # a marker in every running profile

`python -m spyglass run [--rate HZ] [-o FILE] script.py args...` profiles a
script (or `-m module`) like `python -m cProfile`. Web control endpoints:
spyglass.web (WSGI, ASGI) and spyglass.flask (a blueprint); never open
without a token.
"""

from ._profiler import Profile, Profiler, load, mark, profile, running_profilers
from ._upload import upload_bytes

__all__ = ["Profile", "Profiler", "load", "mark", "profile", "running_profilers", "upload_bytes",
           "__version__"]

try:
    from ._spyglass import VERSION as __version__
except ImportError:  # pragma: no cover - the extension is missing: say so on use
    __version__ = "unknown"
