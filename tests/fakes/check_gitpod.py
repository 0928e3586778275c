"""Checks the structure of .gitpod.yml files: check_gitpod.py FILE...

Needs only PyYAML: the rules below are those of Gitpod's JSON schema for .gitpod.yml, written out
by hand so that no schema file has to sit beside the repository.
- The top level is a mapping whose keys are all known: image, tasks, ports, vscode, github,
  gitConfig, workspaceLocation, checkoutLocation, mainRepository, subRepositories and
  experimentalNetwork.
- `ports`: a list of mappings with a `port` (an integer, or a range string such as "3000-3999" or
  "3000:3999"), and optionally `visibility` (public, private), `onOpen` (open-browser,
  open-preview, notify, ignore), `name` and `description` (strings) and `protocol` (http, TCP,
  UDP); no other key.
- `tasks`: a list of mappings whose name, before, init, prebuild and command are strings, `env` a
  mapping, `openIn` one of bottom, main, left, right and `openMode` one of split-left,
  split-right, tab-before, tab-after; no other key.
- `vscode`: a mapping with only `extensions`, a list of strings.
- `image` (a string, or a mapping with a string `file` and an optional string `context`),
  `github.prebuilds`, `gitConfig`, `subRepositories` and the string and boolean keys as the schema
  types them.
- A key written twice in one mapping is a problem too: Gitpod's YAML parser refuses it, while
  PyYAML would silently keep the last one.

Prints one line per problem, `FILE: PATH: PROBLEM` (PATH like `ports/0/visibility`, or
`(top level)`), and exits 1 if any file has a problem, 0 otherwise.
"""

import re
import sys

import yaml


class UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that records keys written twice in one mapping instead of keeping the last."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates = []

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                if key in seen:
                    line = key_node.start_mark.line + 1
                    self.duplicates.append(f"line {line}: key {key!r} is written twice in one mapping")
                seen.add(key)
            except TypeError:
                pass  # an unhashable key: construct_mapping below reports it
        return super().construct_mapping(node, deep=deep)


UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, UniqueKeyLoader.construct_mapping
)

PORT_RANGE = re.compile(r"^\d+[:-]\d+$")


def kind(value):
    """Names a parsed YAML value's type in the words of the schema."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "mapping"
    return type(value).__name__


class Checker:
    def __init__(self):
        self.problems = []

    def problem(self, path, message):
        self.problems.append((path or "(top level)", message))

    def string(self, path, value):
        if not isinstance(value, str):
            self.problem(path, f"expected a string, got {kind(value)} {value!r}")

    def boolean(self, path, value):
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {kind(value)} {value!r}")

    def one_of(self, path, value, choices):
        if not isinstance(value, str) or value not in choices:
            self.problem(path, f"{value!r} is not one of {', '.join(choices)}")

    def mapping(self, path, value, what="a mapping"):
        if not isinstance(value, dict):
            self.problem(path, f"expected {what}, got {kind(value)} {value!r}")
            return False
        return True

    def list_of_mappings(self, path, value):
        """Yields (path, item) for each mapping of a list, and reports what is not one."""
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {kind(value)} {value!r}")
            return
        for i, item in enumerate(value):
            if self.mapping(f"{path}/{i}", item):
                yield f"{path}/{i}", item

    def keys(self, path, value, known, required=()):
        """Checks each known key with its rule; reports unknown and missing keys."""
        for key in required:
            if key not in value:
                self.problem(path, f"missing required key {key!r}")
        for key, item in value.items():
            where = f"{path}/{key}" if path else str(key)
            if key in known:
                known[key](where, item)
            else:
                self.problem(where, f"unknown key {key!r} (known: {', '.join(known)})")

    # One method per part of the file.

    def document(self, value):
        if not self.mapping("", value, "a mapping of .gitpod.yml keys"):
            return
        self.keys(
            "",
            value,
            {
                "image": self.image,
                "tasks": self.tasks,
                "ports": self.ports,
                "vscode": self.vscode,
                "github": self.github,
                "gitConfig": self.git_config,
                "workspaceLocation": self.string,
                "checkoutLocation": self.string,
                "mainRepository": self.string,
                "subRepositories": self.sub_repositories,
                "experimentalNetwork": self.boolean,
            },
        )

    def image(self, path, value):
        if isinstance(value, str):
            return
        if not self.mapping(path, value, "a string or a mapping with `file`"):
            return
        self.keys(path, value, {"file": self.string, "context": self.string}, required=("file",))

    def ports(self, path, value):
        for where, port in self.list_of_mappings(path, value):
            self.keys(
                where,
                port,
                {
                    "port": self.port_number,
                    "onOpen": lambda p, v: self.one_of(
                        p, v, ("open-browser", "open-preview", "notify", "ignore")
                    ),
                    "visibility": lambda p, v: self.one_of(p, v, ("private", "public")),
                    "name": self.string,
                    "protocol": lambda p, v: self.one_of(p, v, ("http", "TCP", "UDP")),
                    "description": self.string,
                },
                required=("port",),
            )

    def port_number(self, path, value):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            self.problem(path, f"expected a port number or a range string, got {kind(value)} {value!r}")
        elif isinstance(value, str) and not PORT_RANGE.match(value):
            self.problem(path, f"{value!r} is not a port range like \"3000-3999\"")

    def tasks(self, path, value):
        for where, task in self.list_of_mappings(path, value):
            self.keys(
                where,
                task,
                {
                    "name": self.string,
                    "before": self.string,
                    "init": self.string,
                    "prebuild": self.string,
                    "command": self.string,
                    "env": self.mapping,
                    "openIn": lambda p, v: self.one_of(p, v, ("bottom", "main", "left", "right")),
                    "openMode": lambda p, v: self.one_of(
                        p, v, ("split-left", "split-right", "tab-before", "tab-after")
                    ),
                },
            )

    def vscode(self, path, value):
        if self.mapping(path, value):
            self.keys(path, value, {"extensions": self.extensions})

    def extensions(self, path, value):
        if not isinstance(value, list):
            self.problem(path, f"expected a list of extension ids, got {kind(value)} {value!r}")
            return
        for i, item in enumerate(value):
            self.string(f"{path}/{i}", item)

    def github(self, path, value):
        if self.mapping(path, value):
            self.keys(path, value, {"prebuilds": self.prebuilds})

    def prebuilds(self, path, value):
        if isinstance(value, bool):
            return
        if not self.mapping(path, value, "true, false or a mapping"):
            return
        # The schema lets other keys through here; only the known ones are typed.
        for key, item in value.items():
            where = f"{path}/{key}"
            if key in ("master", "branches", "pullRequests", "pullRequestsFromForks", "addBadge"):
                self.boolean(where, item)
            elif key == "addCheck" and item not in (True, False, "prevent-merge-on-error"):
                self.problem(where, f"{item!r} is not one of true, false, prevent-merge-on-error")
            elif key == "addLabel" and not isinstance(item, (bool, str)):
                self.problem(where, f"expected true, false or a label, got {kind(item)} {item!r}")

    def git_config(self, path, value):
        if self.mapping(path, value):
            for key, item in value.items():
                self.string(f"{path}/{key}", item)

    def sub_repositories(self, path, value):
        for where, repository in self.list_of_mappings(path, value):
            self.keys(
                where,
                repository,
                {"url": self.string, "checkoutLocation": self.string},
                required=("url",),
            )


def check(path):
    """Returns the problems of one file as printable lines."""
    try:
        with open(path, encoding="utf-8") as f:
            loader = UniqueKeyLoader(f)
            try:
                document = loader.get_single_data()
            finally:
                loader.dispose()
    except (OSError, UnicodeDecodeError) as e:
        return [f"{path}: cannot read: {e}"]
    except yaml.YAMLError as e:
        return [f"{path}: not valid YAML: {e}".replace("\n", " ")]
    lines = [f"{path}: {duplicate}" for duplicate in loader.duplicates]
    checker = Checker()
    checker.document(document)
    lines += [f"{path}: {where}: {message}" for where, message in checker.problems]
    return lines


def main():
    if len(sys.argv) < 2:
        print("usage: check_gitpod.py FILE...", file=sys.stderr)
        sys.exit(2)
    bad = False
    for path in sys.argv[1:]:
        for line in check(path):
            print(line)
            bad = True
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
