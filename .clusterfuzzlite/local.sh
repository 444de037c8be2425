#!/bin/bash -eu
# Runs build.sh as ClusterFuzzLite would, without docker, then each target it built
# for a while: a check of the build's steps on a developer's machine or a CI runner
# that has no docker. Not the sanitizer build (no clang here): pyinstaller bundles
# and launchers only, with atheris from PyPI.
#
#   .clusterfuzzlite/local.sh [SECONDS_PER_TARGET]   (default 30)
#
# Everything goes in a fresh directory ($WORK, else a new temporary one): a copy of
# the tracked files as $SRC/xensave, a virtual environment with atheris and
# pyinstaller, the builder's $OUT. Needs python3 (3.11 or later) and zip.
set -o pipefail
seconds=${1:-30}
repo=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-$(mktemp -d -t xensave-cflite-XXXXXX)}
if [ -n "$(ls -A "$WORK" 2>/dev/null)" ]; then
  echo "local.sh: $WORK is not empty; give a new or empty WORK" >&2
  exit 2
fi
export WORK SRC=$WORK/src OUT=$WORK/out
mkdir -p "$SRC/xensave" "$OUT" "$WORK/bin"
echo "local ClusterFuzzLite build in $WORK"

git -C "$repo" ls-files -z | (cd "$repo" && tar --null -T - -cf -) | tar -xf - -C "$SRC/xensave"
"${PYTHON:-python3}" -m venv "$WORK/venv"
# shellcheck disable=SC1091
. "$WORK/venv/bin/activate"
# build.sh runs pip3 install: it must land in this environment and nowhere else
if [ "$(command -v pip3)" != "$WORK/venv/bin/pip3" ]; then
  echo "local.sh: pip3 is $(command -v pip3), not $WORK/venv/bin/pip3; stopping" >&2
  exit 2
fi
"$WORK/venv/bin/pip" install -q atheris pyinstaller

# What the builder image's compile_python_fuzzer does, minus the sanitizer runtime:
# FUZZER.py [pyinstaller options] -> $OUT/NAME.pkg (one-file bundle) + $OUT/NAME.
cat > "$WORK/bin/compile_python_fuzzer" <<'SH'
#!/bin/bash -eu
fuzzer=$1
shift
name=$(basename -s .py "$fuzzer")
"$WORK/venv/bin/pyinstaller" --log-level WARN --distpath "$OUT" --workpath "$WORK/pyinstaller/$name" \
  --specpath "$WORK/pyinstaller" --onefile --name "$name.pkg" "$@" "$fuzzer"
printf '#!/bin/sh\nexec "$(dirname "$0")/%s.pkg" "$@"\n' "$name" > "$OUT/$name"
chmod +x "$OUT/$name"
SH
chmod +x "$WORK/bin/compile_python_fuzzer"
# build.sh's pip3 is this environment's, or nothing: never another one on PATH
printf '#!/bin/sh\nexec "%s/venv/bin/pip3" "$@"\n' "$WORK" > "$WORK/bin/pip3"
chmod +x "$WORK/bin/pip3"
export PATH=$WORK/bin:$PATH

[ -x "$WORK/venv/bin/pip3" ] || { echo "local.sh: $WORK/venv vanished" >&2; exit 2; }
(cd "$SRC/xensave" && bash .clusterfuzzlite/build.sh)

status=0
for options in "$OUT"/*.options; do
  name=$(basename -s .options "$options")
  corpus=$WORK/corpus/$name findings=$WORK/findings/$name
  mkdir -p "$corpus" "$findings"
  (cd "$corpus" && unzip -q -o "$OUT/${name}_seed_corpus.zip")
  echo "== $name: $seconds s"
  if ! (cd "$findings" && "$OUT/$name" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -max_total_time="$seconds" -print_final_stats=1 "$corpus" 2>&1 | tail -n 12); then
    echo "$name: FAILED (its output is above)"
    status=1
  fi
  if compgen -G "$findings/*-*" > /dev/null; then
    echo "$name found: $(ls "$findings")"
    status=1
  fi
done
[ $status = 0 ] && echo "every target built and ran clean"
exit $status
