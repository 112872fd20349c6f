"""A module for `python -m spyglass run -m known_module`."""
import sys

import known

if __name__ == "__main__":
    known.leaf_b(float(sys.argv[1]))  # @line:module_calls_b
