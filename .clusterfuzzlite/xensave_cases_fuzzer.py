"""ClusterFuzzLite / OSS-Fuzz entry point of the structure-aware target: libFuzzer's
bytes choose, through hypothesis, an image of some layer, guest and version and
perhaps one mutation; the checker must find exactly what the mutation declares.
The target itself is xensave.fuzz.atheris_target (``--target cases``)."""

import sys

import atheris  # noqa: F401  (named here so that pyinstaller bundles it)

from xensave.fuzz.atheris_target import main

if __name__ == "__main__":
    sys.exit(main([sys.argv[0], "--target", "cases", *sys.argv[1:]]))
