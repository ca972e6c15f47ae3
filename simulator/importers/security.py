"""The security posture of real SageMaker (and EC2) requests -> a `SecuritySpec`.

`security_from_sagemaker(request, where)` reads one request body, or a combined document
whose top-level keys are operation names (each a request or a list of requests):

    {"CreateModel": {...}, "CreateEndpointConfig": {...}, "CreateNotebookInstance": {...},
     "CreateTransformJob": {...}, "CreateTrainingJob": {...},
     "CreateVpcEndpoint": {...}, "CreateNetworkAcl": {...}, "CreateNatGateway": [...]}

A lone request is recognised by its required name: TransformJobName, TrainingJobName,
NotebookInstanceName, ProductionVariants (CreateEndpointConfig), else ModelName
(CreateModel). Every request is first checked against botocore's own service model
(sagemaker, and ec2 for the three EC2 operations), as `sagemaker.py` does, so a field
the API would refuse is named with botocore's message, and an enum value the model does
not list (DirectInternetAccess: Maybe) is refused naming the field.

The mapping (docs/reference/security.md#importing-sagemaker-requests). Where several
requests carry a setting, the weakest one wins: one model without a VpcConfig puts the
posture outside your VPC. A setting no request carries keeps SageMaker's default.

- vpc.subnets / vpc.security_groups: VpcConfig of CreateModel and CreateTrainingJob
  (and of CreateEndpointConfig when it has one). Any of those without VpcConfig -> 0;
  else the request with the fewest subnets gives its subnet count and group ids.
  A notebook's SubnetId is the notebook's, not the model's: it is not read as the VPC.
- vpc.nacls: a CreateNetworkAcl request (its entries and subnet associations are not
  read); vpc.nat_gateways: the number of CreateNatGateway requests.
- runtime_endpoint privatelink: a CreateVpcEndpoint of type Interface for
  com.amazonaws.REGION.sagemaker.runtime (or runtime-fips); its SubnetIds count gives
  runtime_endpoint_azs.
- kms.volume_key: CreateEndpointConfig KmsKeyId, TransformResources.VolumeKmsKeyId,
  ResourceConfig.VolumeKmsKeyId, CreateNotebookInstance KmsKeyId. kms.output_key:
  TransformOutput.KmsKeyId, OutputDataConfig.KmsKeyId, DataCaptureConfig.KmsKeyId,
  AsyncInferenceConfig.OutputConfig.KmsKeyId. Set when every place present has a key.
- execution_role: ExecutionRoleArn / RoleArn. deploysim sees the role's name, not its
  policies, so it decides by name: broad when the name holds "FullAccess" or "Admin", or
  is the console's AmazonSageMaker-ExecutionRole-* (created with AmazonSageMakerFullAccess
  attached); otherwise least_privilege, and a note says it was read from the name. No
  role at all keeps the default, broad.
- network_isolation: EnableNetworkIsolation of CreateModel, CreateTrainingJob (and
  CreateEndpointConfig when given). notebook_direct_internet: DirectInternetAccess
  (default Enabled); Disabled without SubnetId is refused, as SageMaker refuses it.
  inter_container_encryption: CreateTrainingJob EnableInterContainerTrafficEncryption.

May import: `simulator.scenario`, `importers.context` and botocore.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

from pydantic import ValidationError

from simulator.importers import service_models
from simulator.importers.context import ConfigImportError, Context
from simulator.scenario.security import SecuritySpec, parse_key

SAGEMAKER = ("CreateModel", "CreateEndpointConfig", "CreateNotebookInstance",
             "CreateTransformJob", "CreateTrainingJob")  # fmt: skip
EC2 = ("CreateVpcEndpoint", "CreateNetworkAcl", "CreateNatGateway")
OPERATIONS = SAGEMAKER + EC2
RUNTIME = re.compile(r"com\.amazonaws\.[a-z0-9-]+\.sagemaker\.runtime(-fips)?")
BROAD = re.compile(r"fullaccess|admin|^amazonsagemaker-executionrole-", re.IGNORECASE)
# where each setting lives: (operation, path); "!" = the request always carries the setting
VOLUME = (("CreateEndpointConfig", "KmsKeyId!"), ("CreateNotebookInstance", "KmsKeyId!"),
          ("CreateTransformJob", "TransformResources.VolumeKmsKeyId!"),
          ("CreateTrainingJob", "ResourceConfig.VolumeKmsKeyId!"))  # fmt: skip
OUTPUT = (("CreateTransformJob", "TransformOutput.KmsKeyId!"),
          ("CreateTrainingJob", "OutputDataConfig.KmsKeyId!"),
          ("CreateEndpointConfig", "DataCaptureConfig.KmsKeyId"),
          ("CreateEndpointConfig", "AsyncInferenceConfig.OutputConfig.KmsKeyId"))  # fmt: skip


def _validate(operation: str, params: dict, field: str, ctx) -> None:
    """Check one request as botocore would, then the enums and maxima it leaves to AWS."""
    service = "ec2" if operation in EC2 else "sagemaker"
    service_models.check(service, operation, params, ctx, field)


def _kind(doc: dict) -> str | None:
    """The operation of a lone request body, from the name it requires."""
    for key, operation in (("TransformJobName", "CreateTransformJob"),
                           ("TrainingJobName", "CreateTrainingJob"),
                           ("NotebookInstanceName", "CreateNotebookInstance"),
                           ("ProductionVariants", "CreateEndpointConfig"),
                           ("ModelName", "CreateModel")):  # fmt: skip
        if key in doc:
            return operation
    return None


def _requests(doc: Any, ctx) -> dict[str, list[tuple[str, dict]]]:
    """Every request by operation, each with its field path, validated."""
    doc = ctx.mapping(doc, "request")
    if not doc:
        ctx.fail("request", "empty: expected a SageMaker request or {operation: request}")
    if any(key in OPERATIONS for key in doc):
        for key in doc:
            if key not in OPERATIONS:
                close = difflib.get_close_matches(ctx.key(key), OPERATIONS, n=1)
                hint = f" (did you mean '{close[0]}'?)" if close else ""
                ctx.fail(ctx.key(key), f"not an operation deploysim reads{hint}; known: "
                         + ", ".join(OPERATIONS))  # fmt: skip
        found = {}
        for op, value in doc.items():
            many = isinstance(value, list)
            items = value if many else [ctx.mapping(value, op)]
            found[op] = [(f"{op}[{i}]" if many else op, ctx.mapping(r, f"{op}[{i}]"))
                         for i, r in enumerate(items)]  # fmt: skip
    else:
        kind = _kind(doc)
        if kind is None:
            ctx.fail("request", "not a request deploysim reads: expected one of "
                     f"{', '.join(SAGEMAKER)}, or a document keyed by operation")  # fmt: skip
        found = {kind: [(kind, doc)]}
    for op, requests in found.items():
        for field, request in requests:
            _validate(op, request, field, ctx)
    return found


def _get(request: dict, path: str) -> Any:
    for part in path.split("."):
        request = request.get(part) if isinstance(request, dict) else None
    return request


def _key(found: dict, places: tuple, ctx, what: str) -> bool | str:
    """The key every place present has (the first one named), else False."""
    keys = []
    for op, place in places:
        always, path = place.endswith("!"), place.rstrip("!")
        for field, request in found.get(op, []):
            parent = _get(request, path.rsplit(".", 1)[0]) if "." in path else request
            if always or parent is not None:
                keys.append((f"{field}.{path}", _get(request, path)))
    for field, key in keys:
        try:
            parse_key(key or False)
        except ValueError as exc:
            ctx.fail(field, str(exc))
    missing = [field for field, key in keys if not key]
    if missing:
        ctx.note(f"{missing[0]} not set: {what} is encrypted with a key of AWS's")
        return False
    named = {key for _, key in keys}
    if len(named) > 1:
        ctx.note(f"{what}: {len(named)} different keys; the first stands for all")
    return keys[0][1] if keys else False


def _vpc(found: dict, ctx) -> dict:
    configs = [(field, r.get("VpcConfig")) for op in ("CreateModel", "CreateTrainingJob")
               for field, r in found.get(op, [])]  # fmt: skip
    configs += [(field, r["VpcConfig"]) for field, r in found.get("CreateEndpointConfig", [])
                if "VpcConfig" in r]  # fmt: skip
    out: dict[str, Any] = {}
    without = [field for field, config in configs if config is None]
    if configs and not without:
        fewest = min((c for _, c in configs), key=lambda c: len(set(c["Subnets"])))
        out = {"subnets": len(set(fewest["Subnets"])),
               "security_groups": sorted(set(fewest["SecurityGroupIds"]))}  # fmt: skip
    elif without:
        ctx.note(f"{without[0]} has no VpcConfig: the containers run outside your VPC")
    if found.get("CreateNetworkAcl"):
        if not out:
            ctx.fail("CreateNetworkAcl", "a network ACL guards subnets, but not every "
                     "CreateModel or CreateTrainingJob puts the containers in a VPC "
                     "(VpcConfig)")  # fmt: skip
        out["nacls"] = True
        ctx.note("CreateNetworkAcl read as custom network ACLs on the model's subnets "
                 "(entries and associations not read)")  # fmt: skip
    if found.get("CreateNatGateway"):
        out["nat_gateways"] = len(found["CreateNatGateway"])
    return out


def _endpoint(found: dict, ctx) -> dict:
    for field, request in found.get("CreateVpcEndpoint", []):
        service = request.get("ServiceName", "")
        if not RUNTIME.fullmatch(service):
            continue
        kind = request.get("VpcEndpointType")
        if kind != "Interface":
            got = kind or "not given, so Gateway (EC2's default)"
            ctx.fail(f"{field}.VpcEndpointType", f"{got}: the SageMaker runtime takes only "
                     "an Interface endpoint")  # fmt: skip
        subnets = request.get("SubnetIds") or []
        if not subnets:
            ctx.fail(f"{field}.SubnetIds", "an interface endpoint needs a subnet in each "
                     "Availability Zone it serves")  # fmt: skip
        if request.get("PrivateDnsEnabled") is False:
            ctx.note(f"{field}.PrivateDnsEnabled false: clients must call the endpoint's "
                     "own DNS name, and invocations may leave their AZ")  # fmt: skip
        return {"runtime_endpoint": "privatelink", "runtime_endpoint_azs": len(set(subnets))}
    if found.get("CreateVpcEndpoint"):
        ctx.note("no CreateVpcEndpoint is for com.amazonaws.REGION.sagemaker.runtime: "
                 "clients use the public runtime endpoint")  # fmt: skip
    return {}


def _role(found: dict, ctx) -> dict:
    roles = [(f"{field}.{key}", r[key]) for op in SAGEMAKER for field, r in found.get(op, [])
             for key in ("ExecutionRoleArn", "RoleArn") if key in r]  # fmt: skip
    if not roles:
        return {}
    for field, arn in roles:
        name = arn.split(":role/", 1)[-1].rsplit("/", 1)[-1]
        if BROAD.search(name):
            ctx.note(f"{field}: role {ctx.key(name)} read as broad from its name")
            return {"execution_role": "broad"}
    ctx.note("execution roles read as least privilege from their names (deploysim cannot "
             "see their policies)")  # fmt: skip
    return {"execution_role": "least_privilege"}


def _flags(found: dict, ctx) -> dict:
    out: dict[str, Any] = {}
    models = found.get("CreateModel", []) + found.get("CreateTrainingJob", [])
    isolated = [r.get("EnableNetworkIsolation", False) for _, r in models]
    isolated += [r["EnableNetworkIsolation"] for _, r in found.get("CreateEndpointConfig", [])
                 if "EnableNetworkIsolation" in r]  # fmt: skip
    if isolated:
        out["network_isolation"] = all(isolated)
    notebooks = found.get("CreateNotebookInstance", [])
    for field, request in notebooks:
        if request.get("DirectInternetAccess") == "Disabled" and not request.get("SubnetId"):
            ctx.fail(f"{field}.DirectInternetAccess", "Disabled needs a SubnetId: SageMaker "
                     "allows it only for a notebook in a VPC subnet")  # fmt: skip
    if notebooks:
        access = [r.get("DirectInternetAccess", "Enabled") for _, r in notebooks]
        out["notebook_direct_internet"] = "Disabled" if set(access) == {"Disabled"} else "Enabled"
    jobs = found.get("CreateTrainingJob", [])
    if jobs:
        out["inter_container_encryption"] = all(
            r.get("EnableInterContainerTrafficEncryption", False) for _, r in jobs
        )
    return out


def security_from_sagemaker(request: dict, where: str, notes: list[str] | None = None
                            ) -> SecuritySpec:  # fmt: skip
    """The `SecuritySpec` of SageMaker requests (see the module doc for the mapping).

    Raises `ConfigImportError` naming `where` and the field. What was read but does not
    show in the spec (a role judged by its name, a setting left to AWS's key) is appended
    to `notes` when given, for the scenario's description.
    """
    ctx = Context(where, None)
    found = _requests(request, ctx)
    data: dict[str, Any] = {"vpc": _vpc(found, ctx), **_endpoint(found, ctx),
                            **_role(found, ctx), **_flags(found, ctx)}  # fmt: skip
    data["kms"] = {"volume_key": _key(found, VOLUME, ctx, "the storage volume"),
                   "output_key": _key(found, OUTPUT, ctx, "the output in S3")}  # fmt: skip
    try:
        spec = SecuritySpec.model_validate(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in error["loc"])
        why = error["msg"].removeprefix("Value error, ")
        raise ConfigImportError(f"{where}: security.{path}: {why}") from None
    if notes is not None:
        notes.extend(ctx.notes)
    return spec
