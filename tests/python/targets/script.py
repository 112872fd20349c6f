"""A script for `python -m spyglass run`: known work, its argv echoed, an
exit status chosen by its first argument."""
import sys

import known


def main():
    print("ARGV " + " ".join(sys.argv[1:]), flush=True)
    known.outer(float(sys.argv[2]) if len(sys.argv) > 2 else 0.5)  # @line:main_calls_outer
    return int(sys.argv[1]) if len(sys.argv) > 1 else 0


if __name__ == "__main__":
    sys.exit(main())  # @line:module_calls_main
