"""Every model of the scenario schema, for tests that walk all of its fields."""

from __future__ import annotations

import typing

from pydantic import BaseModel


def models(root: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model reachable from `root` through its fields (unions and lists included)."""
    seen: list[type[BaseModel]] = []
    stack = [root]
    while stack:
        model = stack.pop()
        if model in seen:
            continue
        seen.append(model)
        for field in model.model_fields.values():
            args = [field.annotation]
            while args:
                arg = args.pop()
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    stack.append(arg)
                args += typing.get_args(arg)
    return seen
