#!/usr/bin/env python3
"""Writes the values table of charts/imcluster-operator/README.md from values.yaml and values.schema.json.

Each row: the key (dotted path), its type from the schema (with the enum, if any), its default from values.yaml, and
its description: the `# --` comment above it in values.yaml (continued by the `#` lines that follow). A key whose
schema has no `properties` (resources, securityContext, ...) is one row, its default shown inline.

The table sits between `<!-- values-table:begin -->` and `<!-- values-table:end -->`.

  hack/chart-readme.py           rewrite the README
  hack/chart-readme.py --check   exit 1 (with a diff) when the README is stale

Either way it fails when values.yaml and the schema disagree: a value without a `# --` comment or without a schema
entry (or a schema description), or a schema property that values.yaml lacks. Python 3 standard library only.
"""
import difflib
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
CHART = ROOT / "charts" / "imcluster-operator"
BEGIN, END = "<!-- values-table:begin -->", "<!-- values-table:end -->"
KEY = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?: (?P<value>.*))?$")


def schema_node(schema, path):
    node = schema
    for part in path:
        node = node.get("properties", {}).get(part)
        if node is None:
            return None
    return node


def flow(block):
    """A block of `key: value` lines (nested by indentation) as one flow-style YAML line."""
    def parse(lines, start, indent):
        items, i = [], start
        while i < len(lines):
            m = KEY.match(lines[i])
            ind = len(m.group("indent")) if m else len(lines[i]) - len(lines[i].lstrip())
            if ind < indent:
                break
            if not m:
                raise SystemExit(f"values.yaml: cannot read {lines[i]!r} (only maps of scalars are supported here)")
            value = (m.group("value") or "").strip()
            if value:
                items.append(f"{m.group('key')}: {value}")
                i += 1
            else:
                inner, i = parse(lines, i + 1, ind + 1)
                items.append(f"{m.group('key')}: {inner}")
        return "{" + ", ".join(items) + "}", i
    text, _ = parse(block, 0, 0)
    return text


def read_values(schema):
    """[(path, default, description)] for every documented leaf of values.yaml, in file order."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    rows, problems, stack, comment, i = [], [], [], None, 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if not stripped:
            comment, i = None, i + 1
            continue
        if stripped.startswith("#"):
            text = stripped[1:].strip()
            if text.startswith("--"):
                comment = [text[2:].strip()]
            elif comment is not None:
                comment.append(text)
            i += 1
            continue
        m = KEY.match(line)
        if not m:
            raise SystemExit(f"values.yaml:{i + 1}: cannot read {line!r}")
        indent = len(m.group("indent"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        path = [p for _, p in stack] + [m.group("key")]
        key = ".".join(path)
        node = schema_node(schema, path)
        value = (m.group("value") or "").strip()
        description = " ".join(comment) if comment else None
        comment = None
        if node is None:
            problems.append(f"{key}: not in values.schema.json")
        elif not node.get("description"):
            problems.append(f"{key}: no description in values.schema.json")
        if value:
            rows.append((key, value, description))
            i += 1
        elif node is not None and "properties" not in node:
            j = i + 1   # an opaque object: one row, its block inline
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                j += 1
            block = [l[indent + 2:] if l.startswith(" " * (indent + 2)) else l.strip()
                     for l in lines[i + 1:j] if l.strip() and not l.strip().startswith("#")]
            rows.append((key, flow(block), description))
            i = j
        else:
            stack.append((indent, m.group("key")))
            i += 1
    for key, _, description in rows:
        if not description:
            problems.append(f"{key}: no `# --` comment in values.yaml")
    leaves = {k for k, _, _ in rows}

    def schema_leaves(node, prefix):
        for name, child in node.get("properties", {}).items():
            key = prefix + name
            if key == "global":
                continue
            if "properties" in child:
                yield from schema_leaves(child, key + ".")
            else:
                yield key
    problems += [f"{k}: in values.schema.json but not in values.yaml" for k in schema_leaves(schema, "")
                 if k not in leaves]
    if problems:
        raise SystemExit("values.yaml and values.schema.json disagree:\n  " + "\n  ".join(problems))
    return rows


def type_of(node):
    t = node.get("type", "object")
    if "enum" in node:
        return t + ": " + ", ".join(f"`{v}`" for v in node["enum"])
    if t == "array" and "type" in node.get("items", {}):
        return f"array of {node['items']['type']}"
    return t


def cell(text):
    return text.replace("|", "\\|")


def table(schema):
    out = [BEGIN,
           "<!-- Generated by hack/chart-readme.py from values.yaml (comments, defaults) and values.schema.json "
           "(types); edit those, then run it. -->",
           "",
           "| Key | Type | Default | Description |",
           "| --- | --- | --- | --- |"]
    for key, default, description in read_values(schema):
        node = schema_node(schema, key.split("."))
        out.append(f"| `{key}` | {cell(type_of(node))} | `{cell(default)}` | {cell(description)} |")
    out.append(END)
    return "\n".join(out)


def main(argv):
    check = argv[1:] == ["--check"]
    if argv[1:] and not check:
        raise SystemExit("usage: hack/chart-readme.py [--check]")
    schema = json.loads((CHART / "values.schema.json").read_text())
    readme_path = CHART / "README.md"
    readme = readme_path.read_text()
    if BEGIN not in readme or END not in readme:
        raise SystemExit(f"{readme_path}: no {BEGIN} ... {END} section")
    before, rest = readme.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    wanted = before + table(schema) + after
    if wanted == readme:
        print("chart README: values table up to date")
        return 0
    if check:
        sys.stdout.writelines(difflib.unified_diff(readme.splitlines(True), wanted.splitlines(True),
                                                   "README.md", "README.md (generated)"))
        print("chart README: the values table is stale; run hack/chart-readme.py", file=sys.stderr)
        return 1
    readme_path.write_text(wanted)
    print(f"chart README: values table written ({readme_path.relative_to(ROOT)})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
