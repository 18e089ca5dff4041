#!/usr/bin/python3
"""Validates JSON documents against docs/report.schema.json with a real JSON
Schema validator (Debian's python3-jsonschema). Used by the report tests.

usage: validate_json.py SCHEMA DOCUMENT...
Exit 0 when every document is valid; 1 with one line per error otherwise;
2 when the schema itself is not a valid schema or a file cannot be read.
"""
import json
import sys

import jsonschema


def main(argv):
    if len(argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        with open(argv[1], encoding="utf-8") as f:
            schema = json.load(f)
        validator_class = jsonschema.validators.validator_for(schema)
        validator_class.check_schema(schema)
    except (OSError, ValueError, jsonschema.SchemaError) as e:
        print(f"schema {argv[1]}: {e}", file=sys.stderr)
        return 2
    validator = validator_class(schema)
    failed = False
    for path in argv[2:]:
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{path}: {e}", file=sys.stderr)
            return 2
        for error in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in error.absolute_path) or "(root)"
            print(f"{path}: {where}: {error.message}")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
