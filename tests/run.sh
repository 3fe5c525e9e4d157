#!/usr/bin/env bash
# The test command: installs what the tests run against (a local S3 server), then runs every test.
# Usage: bash tests/run.sh [cargo test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."

if ! python3 -c "import moto.server, flask" >/dev/null 2>&1; then
  echo "== installing moto[server]: the local S3 server the S3 tests run against"
  python3 -m pip install --quiet --disable-pip-version-check 'moto[server]'
fi

if ! python3 -c "import jsonschema, yaml" >/dev/null 2>&1; then
  echo "== installing jsonschema and PyYAML: the independent validator of the JSON Schemas"
  python3 -m pip install --quiet --disable-pip-version-check jsonschema PyYAML
fi
if ! python3 -c "import rdflib, odf, pysdmx.io.csv" >/dev/null 2>&1; then
  echo "== installing rdflib, pysdmx[data], odfpy: the open-data readers the publication tests use"
  python3 -m pip install --quiet --disable-pip-version-check rdflib 'pysdmx[data]' odfpy
fi
if ! python3 -c "import docx, odf" >/dev/null 2>&1; then
  echo "== installing python-docx and odfpy: the annex tests open the documents with them"
  python3 -m pip install --quiet --disable-pip-version-check python-docx odfpy
fi
if ! python3 -c "import PIL" >/dev/null 2>&1; then
  echo "== installing Pillow: the map tests count the colours of the PNGs with it"
  python3 -m pip install --quiet --disable-pip-version-check Pillow
fi
if ! python3 -c "import duckdb, openpyxl" >/dev/null 2>&1; then
  echo "== installing duckdb and openpyxl: the reproduce tests read pinned Parquet files with DuckDB, the workbook tests read number formats back with openpyxl"
  python3 -m pip install --quiet --disable-pip-version-check duckdb openpyxl
fi

# The cluster test (tests/it/ballista_cluster.rs) starts Ballista's own scheduler and executor
# programs as separate processes: built once per Ballista version into the build folder, then
# reused (in CI it fails rather than skips without them).
OSSERVATORIO_BALLISTA_BIN=$(bash tests/ballista-cluster.sh)
export OSSERVATORIO_BALLISTA_BIN

# The Ballista tests run the bundled project on an in-process cluster and on the one above: the
# suite is built with the feature.
echo "== cargo test --features ballista"
cargo test --locked --features ballista "$@"
