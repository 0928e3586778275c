"""Validates .gitpod.yml files against Gitpod's JSON schema: check_gitpod.py SCHEMA FILE...
Prints one line per problem and exits 1 if any file is invalid."""

import json
import sys

import jsonschema
import yaml


def main():
    schema = json.load(open(sys.argv[1]))
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in sys.argv[2:]:
        try:
            document = yaml.safe_load(open(path))
        except yaml.YAMLError as e:
            print(f"{path}: not valid YAML: {e}".replace("\n", " "))
            bad += 1
            continue
        for error in validator.iter_errors(document):
            where = "/".join(str(p) for p in error.absolute_path) or "(top level)"
            print(f"{path}: {where}: {error.message}")
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
