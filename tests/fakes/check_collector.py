#!/usr/bin/env python3
"""Checks an OpenTelemetry Collector configuration against the collector's documented schema.

    python tests/fakes/check_collector.py SCHEMA CONFIG...

Each CONFIG is parsed as YAML and validated with jsonschema; beyond the schema, every component a
pipeline names must be defined. Prints one line per problem (file: where: what) and exits 1 when
there is any, else 0.
"""

import json
import sys

import jsonschema
import yaml


def problems(schema, path):
    with open(path, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    found = []
    validator = jsonschema.Draft202012Validator(schema)
    for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        found.append(f"{path}: {where}: {error.message}")
    pipelines = ((config or {}).get("service") or {}).get("pipelines") or {}
    for name, pipeline in pipelines.items():
        for kind in ("receivers", "processors", "exporters"):
            for component in (pipeline or {}).get(kind) or []:
                if component not in ((config or {}).get(kind) or {}):
                    found.append(f"{path}: service/pipelines/{name}/{kind}: {component} is not defined")
    return found


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        schema = json.load(f)
    found = [p for path in sys.argv[2:] for p in problems(schema, path)]
    for p in found:
        print(p)
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
