"""Requests checked against AWS's own service models, offline, as the SDK checks them.

botocore's ParamValidator checks types, required members and minima, but leaves enum
values and maxima (of numbers and of list lengths) to the service; `check` then walks
the request with the operation's input shape and refuses those too, naming the field
and the allowed values or the bound. Used by every importer of AWS requests (SageMaker,
EC2, ECS, CodeDeploy), so a field AWS would reject is never imported.
"""

from __future__ import annotations

import functools
from typing import Any

_NUMBERS = {"integer", "long", "float", "double"}
_SOURCE = "botocore's service model"


@functools.cache
def service_model(service: str):
    """A service's model (`sagemaker`, `ec2`, ...), read once: botocore takes 0.1 s to load."""
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def check(service: str, operation: str, params: dict, ctx, field: str = "") -> None:
    """Refuse a request the service would: botocore's validation, then enums and maxima."""
    import botocore.validate

    shape = service_model(service).operation_model(operation).input_shape
    report = botocore.validate.ParamValidator().validate(params, shape)
    if report.has_errors():
        ctx.fail(field or operation, "botocore rejects the request: " + report.generate_report())
    _declared(params, shape, field, ctx)


def _declared(value: Any, shape, field: str, ctx) -> None:
    """Enum values and maxima the model declares (runs after botocore, so types are right)."""
    kind = shape.type_name
    if kind == "structure":
        for name, member in shape.members.items():
            if name in value:
                _declared(value[name], member, f"{field}.{name}" if field else name, ctx)
    elif kind == "list":
        if len(value) > shape.metadata.get("max", len(value)):
            ctx.fail(field, f"{len(value)} items, at most {shape.metadata['max']} ({_SOURCE})")
        for i, item in enumerate(value):
            _declared(item, shape.member, f"{field}[{i}]", ctx)
    elif kind == "map":
        for key, item in value.items():
            _declared(item, shape.value, f"{field}.{ctx.key(key)}", ctx)
    elif kind == "string" and shape.enum:
        ctx.choice(value, field, shape.enum, why=_SOURCE)
    elif kind in _NUMBERS and "max" in shape.metadata:
        ctx.number(value, field, high=shape.metadata["max"], why=_SOURCE)
