"""ClusterFuzzLite / OSS-Fuzz entry point of the reader-and-checker target: arbitrary
bytes never crash the reader or the checker, and an image the checker finds valid
reads alike in the reference reader and the generated Kaitai parser. The target
itself is xensave.fuzz.atheris_target (also run by ``tox -e atheris``)."""

import sys

import atheris  # noqa: F401  (named here so that pyinstaller bundles it)

from xensave.fuzz.atheris_target import main

if __name__ == "__main__":
    sys.exit(main(sys.argv))
