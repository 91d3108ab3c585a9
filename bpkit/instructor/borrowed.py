"""Answers taken from bpkit itself: an exercise cell that calls the library function it asks for.

Every exercise asks the student to write a function that bpkit already has
(``sigmoid`` is ``bpkit.sigmoid``, ``relu_prime`` is
``bpkit.relu.derivative``) -- and the grader's reference answers live in
``bpkit.grader``. :func:`library_calls` reads an exercise cell (with the
notebook's import lines that grading runs before it) and lists what it uses
of those, by the names the cell wrote::

    import bpkit as bp                       ->  bp.sigmoid is bpkit.sigmoid
    from bpkit.equations import output_error as oe
    from bpkit import grader                 ->  anything in bpkit.grader
    getattr(bpkit, "sigmoid")                ->  a constant name is resolved too

It is static analysis of source, done by the grading process (no code of
the student's is run). It cannot see code copied by hand from bpkit's
source, names built at run time (``getattr(bpkit, "sig" + "moid")``,
``__import__`` of a computed string), or the library reached through an
object that is not bpkit's own name (``np.__dict__``, ``sys.modules``).
Such dynamic access to a bpkit module is reported as "dynamic access".

>>> library_calls("sigmoid", "import bpkit as bp\\ndef sigmoid(z):\\n    return bp.sigmoid(z)\\n")
['bpkit.sigmoid']
>>> library_calls("relu_prime", "from bpkit import relu\\ndef relu_prime(z): return relu.derivative(z)")
['bpkit.relu.derivative']
>>> library_calls("sigmoid", "def sigmoid(z):\\n    return 1 / (1 + np.exp(-z))\\n")
[]
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from ..grader.cellscope import parse

#: Library names that compute what an exercise asks for, beyond the function's own name.
EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "sigmoid": ("sigmoid.forward",),
    "sigmoid_prime": ("sigmoid.derivative", "sigmoid.backward"),
    "tanh_prime": ("tanh.derivative", "tanh.backward"),
    "relu_prime": ("relu.derivative", "relu.backward"),
    "output_error_mse": ("output_error", "output_delta", "mse.gradient"),
    "output_error_bce": ("output_error", "output_delta", "binary_cross_entropy.gradient"),
    "softmax_output_error": ("output_error", "output_delta", "softmax_cross_entropy.gradient"),
    "output_error": ("output_delta",),
    "backward": ("Network.backward", "backward", "gradients"),
    "backward_batch": ("Network.backward", "backward", "gradients"),
    "backward_fixed": ("Network.backward", "backward", "gradients"),
}
GRADER = "bpkit.grader"


def targets(function: str) -> set[str]:
    """Dotted names (below ``bpkit``) that an exercise on ``function`` may not call."""
    return {function, *EQUIVALENTS.get(function, ())}


def _parse(source: str) -> ast.Module | None:
    try:
        return parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _chain(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """The dotted bpkit name an expression stands for (``bp.equations.x`` -> ``bpkit.equations.x``)."""
    parts = []
    while True:
        if isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "getattr"
              and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant)
              and isinstance(node.args[1].value, str)):
            parts.append(node.args[1].value)
            node = node.args[0]
        elif isinstance(node, ast.Name) and node.id in aliases:
            return ".".join([aliases[node.id], *reversed(parts)])
        else:
            return None


def _bind_imports(node: ast.AST, aliases: dict[str, str]) -> None:
    if isinstance(node, ast.Import):
        for a in node.names:
            if a.name == "bpkit" or a.name.startswith("bpkit."):
                aliases[a.asname or "bpkit"] = a.name if a.asname else "bpkit"
    elif isinstance(node, ast.ImportFrom) and not node.level and node.module and (
            node.module == "bpkit" or node.module.startswith("bpkit.")):
        for a in node.names:
            aliases[a.asname or a.name] = f"{node.module}.{a.name}"


def _aliases(trees: Iterable[ast.Module]) -> dict[str, str]:
    """Names bound to something of bpkit: imports, and plain assignments of such names."""
    aliases: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            _bind_imports(node, aliases)
        for _ in range(3):                              # a = bpkit; b = a.equations; ...
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(
                        node.targets[0], ast.Name):
                    name = _chain(node.value, aliases)
                    if name is not None:
                        aliases[node.targets[0].id] = name
    return aliases


def _matches(name: str, wanted: set[str]) -> bool:
    """Whether ``bpkit.<...>`` name ``name`` is one of ``wanted`` (by its last one or two parts)."""
    parts = name.split(".")
    return any(".".join(parts[-len(w.split(".")):]) == w for w in wanted) and len(parts) > 1


def _dynamic(node: ast.AST, aliases: dict[str, str]) -> bool:
    if not isinstance(node, ast.Call) or not isinstance(node.func, (ast.Name, ast.Attribute)):
        return False
    func = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
    if func == "getattr" and node.args and _chain(node.args[0], aliases) is not None:
        return not (len(node.args) >= 2 and isinstance(node.args[1], ast.Constant))
    if func in ("__import__", "import_module") and node.args:
        arg = node.args[0]
        return not isinstance(arg, ast.Constant) or str(arg.value).startswith("bpkit")
    return False


def library_calls(function: str, cell: str, preamble: Iterable[str] = ()) -> list[str]:
    """What of bpkit's own ``function`` (or of ``bpkit.grader``) an exercise cell uses, as written."""
    tree = _parse(cell)
    if tree is None:
        return []
    trees = [t for t in map(_parse, preamble) if t is not None] + [tree]
    aliases = _aliases(trees)
    wanted = targets(function)
    found: dict[str, None] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            local: dict[str, str] = {}
            _bind_imports(node, local)
            names = list(local.values())
        elif isinstance(node, (ast.Attribute, ast.Name, ast.Call)):
            name = _chain(node, aliases)
            names = [name] if name is not None else []
            if _dynamic(node, aliases):
                found.setdefault("dynamic access to bpkit", None)
        else:
            continue
        for name in names:
            if name == GRADER or name.startswith(GRADER + "."):
                found.setdefault(GRADER, None)
            elif _matches(name, wanted):
                found.setdefault(name, None)
    return _outermost(list(found))


def _outermost(names: list[str]) -> list[str]:
    """``bpkit.relu`` and ``bpkit.relu.derivative`` -> the longer one only, as the cell wrote it."""
    return [n for n in names if not any(o != n and o.startswith(n + ".") for o in names)]
