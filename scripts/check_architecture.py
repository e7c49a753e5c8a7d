#!/usr/bin/env python3
"""The house rules that imports can show (docs/ARCHITECTURE.md, "Rules of the house"):

1. No import circle inside app/, counting the imports inside functions too (they only
   hide a circle from Python, not from the reader).
2. Imports run downward through the layers below, and a capability of the services does
   not import its siblings: what a lower layer must tell a higher one goes through
   app/services/shared (an outbox row) or a registry that the higher one fills.
3. An import of our own code inside a function carries a one-line reason on its line
   (`# deferred: …`), except in the app factory (app/__init__.py), which wires
   everything together only when it is called.
4. app/domain is pure: it imports no Flask, no SQLAlchemy, nothing of ours but
   app.errors, app.clock and itself.
5. One owner of `Send.status`: only app/services/sending/lifecycle.py changes it (an
   `update(Send…).values(status=…)`, a `send.status = …`), and a new Send takes its
   first status from `lifecycle.initial_status()`.

Run it (`python scripts/check_architecture.py`): it prints one line a finding and exits
1 when there is any. tests/unit/test_architecture.py runs it with the suite.
"""
from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from pathlib import Path

#: lowest first; a module belongs to the longest prefix that names it
LAYERS: list[tuple[str, ...]] = [
    ("app.errors", "app.clock", "app.faults", "app.processes"),
    ("app.domain",),
    ("app.extensions", "app.bulk", "app.models", "app.i18n"),
    ("app.security.roles", "app.security.tenancy"),
    ("app.gateways",),
    ("app.services.shared",),
    ("app.services.accounts",),
    ("app.services.senders", "app.services.contacts"),
    ("app.services.wallet",),
    ("app.services.sending",),
    ("app.services.kakao",),
    ("app.services.history", "app.services.stats", "app.services.billing"),
    ("app.services.webhooks",),      # tells a customer's system what history shows (the send's body)
    ("app.services.ops",),
    ("app.services.periodic", "app.services.checks", "app.services"),
    ("app.views", "app.api", "app.jobs", "app.cli", "app.web", "app.security"),
    ("app",),
]
#: layers whose groups are capabilities: one may not import another of the same layer
CAPABILITY_LAYERS = {i for i, layer in enumerate(LAYERS) if all(p.startswith("app.services.") for p in layer)
                     and layer != ("app.services.periodic", "app.services.checks", "app.services")}
FACTORY = "app"
DOMAIN = "app.domain"
DOMAIN_MAY_IMPORT = ("app.domain", "app.errors", "app.clock")
IMPURE = ("flask", "flask_appbuilder", "flask_babel", "sqlalchemy", "werkzeug", "redis", "rq")
REASON_MARK = "# deferred:"
STATUS_OWNER = "app.services.sending.lifecycle"


@dataclass(frozen=True)
class Import:
    source: str           # importing module
    target: str           # imported module of ours (or a top-level third-party name)
    path: Path
    line: int
    in_function: bool
    reason: str | None    # the `# deferred: …` text on the line


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_ours(root: Path, dotted: str) -> bool:
    base = root.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _targets(root: Path, node, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level:       # relative: resolve against the importing package
        base = package.split(".")[: len(package.split(".")) - node.level + 1]
        module = ".".join(base + ([node.module] if node.module else []))
    else:
        module = node.module or ""
    out = []
    for alias in node.names:
        sub = f"{module}.{alias.name}"
        out.append(sub if _is_ours(root, sub) else module)
    return out


def _type_checking(node) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and (
        (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
        or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def imports_of(root: Path, path: Path) -> list[Import]:
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    tree = ast.parse(source, str(path))
    name = module_name(root, path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: list[Import] = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if _type_checking(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                line = lines[child.lineno - 1]
                reason = line.split(REASON_MARK, 1)[1].strip() if REASON_MARK in line else None
                for target in _targets(root, child, package):
                    found.append(Import(name, target, path, child.lineno, in_function, reason))
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)))
    visit(tree, False)
    return found


def _names_send(node) -> bool:
    """`Send` or `Send.__table__`."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    return isinstance(node, ast.Name) and node.id == "Send"


def _is_update_of_send(node) -> bool:
    """Somewhere down the call chain: update(Send) / update(Send.__table__)."""
    while isinstance(node, (ast.Call, ast.Attribute)):
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "update" and node.args and _names_send(node.args[0]):
                return True
            node = func
        else:
            node = node.value
    return False


def status_writes(path: Path) -> list[int]:
    """Lines that write Send.status (rule 5)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values" \
                and any(k.arg == "status" for k in node.keywords) and _is_update_of_send(node.func.value):
            lines.append(node.lineno)
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Attribute) and t.attr == "status" and isinstance(t.value, ast.Name)
                   and t.value.id == "send" for t in targets):
                lines.append(node.lineno)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Send":
            for keyword in node.keywords:
                value = keyword.value
                initial = (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute)
                           and value.func.attr == "initial_status")
                if keyword.arg == "status" and not initial:
                    lines.append(node.lineno)
    return lines


def layer_of(module: str) -> tuple[int, str] | None:
    best = None
    for index, layer in enumerate(LAYERS):
        for prefix in layer:
            if module == prefix or module.startswith(prefix + "."):
                if best is None or len(prefix) > len(best[1]):
                    best = (index, prefix)
    return best


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph.get(node, ()):
                    result.append(sorted(component))
    return result


def check(root: Path) -> list[str]:
    """Findings, one line each (empty when the house keeps its rules). `root` holds app/."""
    findings: list[str] = []
    graph: dict[str, set[str]] = {}
    edges: dict[tuple[str, str], Import] = {}
    for path in sorted((root / "app").rglob("*.py")):
        if module_name(root, path) != STATUS_OWNER:
            for line in status_writes(path):
                findings.append(f"owner: {path.relative_to(root)}:{line} writes Send.status "
                                f"(only {STATUS_OWNER} does)")
        seen_hidden: set[int] = set()
        for imp in imports_of(root, path):
            where = f"{imp.path.relative_to(root)}:{imp.line}"
            ours = imp.target == "app" or imp.target.startswith("app.")
            if imp.source == DOMAIN or imp.source.startswith(DOMAIN + "."):
                if ours and not imp.target.startswith(DOMAIN_MAY_IMPORT):
                    findings.append(f"impure: {where} app/domain imports {imp.target}")
                if imp.target.split(".")[0] in IMPURE:
                    findings.append(f"impure: {where} app/domain imports {imp.target}")
            if not ours or imp.source == FACTORY:
                continue
            if imp.in_function and not imp.reason and imp.line not in seen_hidden:
                seen_hidden.add(imp.line)
                findings.append(f"hidden: {where} imports {imp.target} inside a function without "
                                f"'{REASON_MARK} <why>' on its line")
            if imp.target == FACTORY and imp.in_function:
                continue        # an entry point asking for the app factory: the top, imported by no one
            graph.setdefault(imp.source, set()).add(imp.target)
            edges.setdefault((imp.source, imp.target), imp)
            here, there = layer_of(imp.source), layer_of(imp.target)
            if here is None or there is None:
                findings.append(f"unplaced: {where} {imp.source if here is None else imp.target} is in no layer")
                continue
            if there[0] > here[0]:
                findings.append(f"upward: {where} {imp.source} imports {imp.target} "
                                f"({here[1]} is below {there[1]})")
            elif there[0] == here[0] and here[0] in CAPABILITY_LAYERS and there[1] != here[1]:
                findings.append(f"sideways: {where} {imp.source} imports {imp.target} "
                                f"({here[1]} and {there[1]} are sibling capabilities)")
    for component in _cycles(graph):
        members = set(component)
        links = [edges[(a, b)] for a in component for b in sorted(graph.get(a, ())) if b in members]
        shown = ", ".join(f"{link.path.relative_to(root)}:{link.line} → {link.target}" for link in links)
        findings.append(f"cycle: {' ↔ '.join(component)} ({shown})")
    return findings


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    findings = check(root)
    for finding in findings:
        print(finding)
    print(f"{len(findings)} finding(s) in {root / 'app'}", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
