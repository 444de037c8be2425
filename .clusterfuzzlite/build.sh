#!/bin/bash -eu
# Builds xensave's atheris fuzz targets the way the OSS-Fuzz / ClusterFuzzLite Python
# builder expects: run in $SRC/xensave with $SRC, $OUT and compile_python_fuzzer set
# by the builder image (.clusterfuzzlite/Dockerfile). docs/fuzzing.md tells how to run
# it there and here (.clusterfuzzlite/local.sh, without docker).
#
# For each .clusterfuzzlite/*_fuzzer.py: a one-file pyinstaller bundle and its
# launcher in $OUT (compile_python_fuzzer), the conformance corpus as its seeds
# ($OUT/NAME_seed_corpus.zip) and libFuzzer's options ($OUT/NAME.options).

# xensave and its dependencies (kaitaistruct, hypothesis); no C extension of our own
pip3 install .

for fuzzer in .clusterfuzzlite/*_fuzzer.py; do
  name=$(basename -s .py "$fuzzer")
  # Modules loaded by name at run time (the generated Kaitai parsers) and package
  # data are not seen by pyinstaller's import scan: take the whole package.
  compile_python_fuzzer "$fuzzer" --collect-all xensave
  (cd conformance/corpus && zip -q -j "$OUT/${name}_seed_corpus.zip" ./*.bin)
  # the limits tox -e atheris uses; images over 64 KiB add little coverage
  printf '[libfuzzer]\nmax_len = 65536\ntimeout = 10\nrss_limit_mb = 2048\n' > "$OUT/$name.options"
done
