#!/usr/bin/env bash
# A wheel built from the sdist has the compiled hot path: build the sdist, build
# a wheel from it (pip, isolated build with Cython), install the wheel alone in
# a fresh virtual environment and assert HAS_EXTENSIONS there, outside the tree.
set -euo pipefail
out=$(mktemp -d)
python -m pip install --quiet build
python -m build --sdist --outdir "$out/sdist" . >/dev/null
python -m pip wheel --quiet --no-deps --wheel-dir "$out/wheel" "$out"/sdist/*.tar.gz
ls "$out"/wheel
python -m venv "$out/venv"
"$out/venv/bin/python" -m pip install --quiet "$out"/wheel/*.whl
cd "$out"
"$out/venv/bin/python" - <<'PY'
import aiohttp_ws
assert aiohttp_ws.HAS_EXTENSIONS, "the wheel built from the sdist is pure Python"
print(f"wheel from sdist: aiohttp_ws {aiohttp_ws.__version__}, compiled hot path live, from {aiohttp_ws.__file__}")
PY
"$out/venv/bin/python" -m aiohttp_ws --version
"$out/venv/bin/python" -m aiohttp_ws | tail -1  # the demo, from the installed wheel
rm -rf "$out"
