"""Every English message a problem+json answer can carry, collected from where it is made.

- Our code: string literals and f-strings given to an error's constructor (ProblemError and
  its subclasses, marshmallow's ValidationError, shared.web's ``problem``) as the detail or
  inside ``errors``, and the literals assigned (or appended) to a name such an argument
  uses. An f-string's values become ``{}``: the template shared/messages_nl.json keys its
  translations by.
- The titles of our ProblemError classes.
- marshmallow's default messages of every field, validator and schema (``{min}`` → ``{}``).
- werkzeug's names and descriptions of the HTTP errors (titles and details of 4xx answers).
- webargs' "Invalid JSON body.".
"""

from __future__ import annotations

import ast
import inspect
import string
from collections.abc import Iterator
from pathlib import Path

import marshmallow
import marshmallow.validate
from marshmallow import fields
from werkzeug.exceptions import default_exceptions

from shared import errors

ROOT = Path(__file__).resolve().parents[2]
# The APIs' code (the portal is a client with its own catalogues).
SOURCES = [
    ROOT / "shared",
    *(ROOT / "services" / s for s in ("catalog", "booking", "costsharing", "notify")),
]
ERROR_CALLS = {
    name
    for name, value in vars(errors).items()
    if inspect.isclass(value) and issubclass(value, errors.ProblemError)
} | {"ValidationError", "problem"}


def _template(node: ast.JoinedStr) -> str:
    return "".join(part.value if isinstance(part, ast.Constant) else "{}" for part in node.values)


def _texts(node: ast.AST, assigned: dict[str, list[ast.AST]]) -> Iterator[str]:
    """The message texts an argument expression can evaluate to (keys of dicts are field
    names, and calls other than to errors are not messages)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        yield node.value
    elif isinstance(node, ast.JoinedStr):
        yield _template(node)
    elif isinstance(node, ast.Dict):
        for value in node.values:
            yield from _texts(value, assigned)
    elif isinstance(node, ast.List | ast.Tuple | ast.Set):
        for element in node.elts:
            yield from _texts(element, assigned)
    elif isinstance(node, ast.ListComp | ast.SetComp | ast.GeneratorExp):
        yield from _texts(node.elt, assigned)
    elif isinstance(node, ast.DictComp):
        yield from _texts(node.value, assigned)
    elif isinstance(node, ast.IfExp):
        yield from _texts(node.body, assigned)
        yield from _texts(node.orelse, assigned)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            yield from _texts(value, assigned)
    elif isinstance(node, ast.Name):
        for value in assigned.get(node.id, []):
            yield from _texts(value, assigned)


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def code_messages() -> dict[str, str]:
    """Message template → where it is made (file:line), for every message in our code."""
    found: dict[str, str] = {}
    for folder in SOURCES:
        for path in sorted(folder.rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            assigned: dict[str, list[ast.AST]] = {}
            for node in ast.walk(tree):
                if isinstance(node, ast.Assign):
                    for target in node.targets:
                        if isinstance(target, ast.Name):
                            assigned.setdefault(target.id, []).append(node.value)
                elif (  # messages = []; messages.append(f"…"); errors={"x": messages}
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Name)
                ):
                    assigned.setdefault(node.func.value.id, []).extend(node.args)
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and _call_name(node) in ERROR_CALLS):
                    continue
                arguments = [*node.args, *(k.value for k in node.keywords if k.arg == "errors")]
                if _call_name(node) == "problem":  # problem(status, title, detail, errors=…)
                    arguments = [*node.args[1:3], *arguments[len(node.args) :]]
                for argument in arguments:
                    for text in _texts(argument, assigned):
                        if text.strip():
                            where = f"{path.relative_to(ROOT)}:{node.lineno}"
                            found.setdefault(text, where)
    return found


def titles() -> set[str]:
    return {
        value.title
        for value in vars(errors).values()
        if inspect.isclass(value) and issubclass(value, errors.ProblemError)
    }


def _named_to_positional(message: str) -> str:
    """marshmallow's "Must be at least {min}." → "Must be at least {}."."""
    return "".join(
        literal + ("{}" if name is not None else "")
        for literal, name, _, _ in string.Formatter().parse(message)
    )


def marshmallow_messages() -> set[str]:
    found: set[str] = set()
    for value in [*vars(fields).values(), marshmallow.Schema]:
        if inspect.isclass(value):
            for klass in value.__mro__:
                found.update(getattr(klass, "default_error_messages", {}).values())
    range_ = marshmallow.validate.Range
    for value in vars(marshmallow.validate).values():
        if inspect.isclass(value) and issubclass(value, marshmallow.validate.Validator):
            if value is range_:
                continue  # its messages are made of the operator words: expanded below
            for name, message in vars(value).items():
                if "message" in name and isinstance(message, str):
                    found.add(message)
    for low in (range_.message_gte, range_.message_gt):
        found.add(range_.message_min.format(min_op=low))
        for high in (range_.message_lte, range_.message_lt):
            found.add(range_.message_all.format(min_op=low, max_op=high))
    for high in (range_.message_lte, range_.message_lt):
        found.add(range_.message_max.format(max_op=high))
    found.add(marshmallow.Schema._default_error_messages["unknown"])
    found.add(marshmallow.Schema._default_error_messages["type"])
    return {_named_to_positional(m) for m in found}


def werkzeug_messages() -> set[str]:
    found: set[str] = set()
    for status, exc in default_exceptions.items():
        if 400 <= status < 600:
            found.add(exc().name)
            if exc.description:
                found.add(" ".join(exc.description.split()))
    return found


def all_messages() -> dict[str, str]:
    """Every message template → where it comes from."""
    found = dict(code_messages())
    for origin, messages in (
        ("title", titles()),
        ("marshmallow", marshmallow_messages()),
        ("werkzeug", werkzeug_messages()),
        ("webargs", {"Invalid JSON body."}),
    ):
        for message in messages:
            found.setdefault(message, origin)
    return found
