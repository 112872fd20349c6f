"""Plumbing shared by the integration-test targets (imported, never run).

A target takes its run time in seconds as argv[1] and, when a test must know it
is in its steady state, prints one line `READY {json}` to stdout. Kept out of the
targets' own files so that what the tests look at there is only the marked lines.
Must stay valid on every Python a test runs a target on (3.7 to 3.13).
"""

import json
import os
import sys


def arg(index, default):
    """argv[index] as a float, or default."""
    return float(sys.argv[index]) if len(sys.argv) > index else default


def ready(**info):
    info.setdefault("pid", os.getpid())
    sys.stdout.write("READY " + json.dumps(info) + "\n")
    sys.stdout.flush()
