#!/usr/bin/env python3
"""Validates project YAML files against osservatorio's JSON Schemas with an independent validator
(Python jsonschema, draft-07), so the schemas are checked by something other than the code that wrote them.

Usage: validate.py SCHEMA_DIR PROJECT_DIR...
Prints one line per file (`ok FILE` or `INVALID FILE: message`); exits 1 when any file is invalid.
"""
import glob
import json
import os
import sys

import jsonschema
import yaml

KINDS = [
    ("osservatorio.schema.json", ["osservatorio.yaml"]),
    ("pipeline.schema.json", ["pipelines/*.yaml"]),
    ("indicator.schema.json", ["indicators/*.yaml"]),
    ("dashboard.schema.json", ["dashboards/*.yaml"]),
]


def main(schema_dir, projects):
    bad = 0
    checked = 0
    for name, patterns in KINDS:
        with open(os.path.join(schema_dir, name), encoding="utf-8") as f:
            schema = json.load(f)
        jsonschema.Draft7Validator.check_schema(schema)
        validator = jsonschema.Draft7Validator(schema)
        for project in projects:
            for pattern in patterns:
                for path in sorted(glob.glob(os.path.join(project, pattern))):
                    with open(path, encoding="utf-8") as f:
                        doc = yaml.safe_load(f)
                    errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.path))
                    checked += 1
                    if errors:
                        bad += 1
                        for e in errors:
                            where = "/".join(str(p) for p in e.path)
                            print(f"INVALID {path}: {where}: {e.message}")
                    else:
                        print(f"ok {path}")
    print(f"{checked} files checked, {bad} invalid")
    return 1 if bad or not checked else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
