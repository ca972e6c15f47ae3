"""The security posture of a SageMaker deployment: what is locked down, and what it costs.

Why a posture in a simulator: the course notes ask for VPC, network ACLs, security
groups, IAM and KMS around SageMaker, for a VPC endpoint in front of it, and for the
notebooks' default internet access to be turned off. None of it changes which request
fails in a run, but each choice costs money (an interface endpoint per AZ-hour and per
GB, NAT gateways, customer managed keys), may change latency a little, and is what a
security review asks about first. So the posture is data like the rest of a scenario:
`SecuritySpec` says what is set, `findings` checks each practice and says in plain words
what is missing and which field to change, and the cost and latency functions turn the
posture into numbers a run can add (figures from `simulator.catalog.network`).

The defaults are what SageMaker gives when a request sets nothing: no VpcConfig, the
public runtime endpoint, no KmsKeyId, EnableNetworkIsolation false, DirectInternetAccess
Enabled, EnableInterContainerTrafficEncryption false, and the execution role the console
creates (AmazonSageMakerFullAccess attached). So the default posture has one finding per
practice. The facts, API fields, prices and sources: docs/reference/security.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, field_validator, model_validator

from simulator.catalog import network
from simulator.scenario.base import Spec
from simulator.userfiles import brief

PRACTICES = ("vpc", "security_groups", "nacls", "runtime_endpoint", "kms_volume", "kms_output",
             "execution_role", "network_isolation", "notebook_internet",
             "inter_container_encryption")  # fmt: skip
"""Every practice `findings` checks, in the order it reports them."""

Severity = Literal["high", "medium", "low"]
_KEY = re.compile(r"[A-Za-z0-9:/_-]{1,2048}")  # botocore's KmsKeyId pattern and maximum
_MAX_GROUPS = 5  # VpcConfig.SecurityGroupIds: 1 to 5 (botocore)


def parse_key(value: Any) -> bool | str:
    """A KMS key id, key ARN, alias or alias ARN; true (a key, not named) or false (none)."""
    if isinstance(value, bool) or (isinstance(value, str) and _KEY.fullmatch(value)):
        return value
    raise ValueError("expected a KMS key id, key ARN, 'alias/...' or alias ARN, or true or "
                     f"false; got {brief(value)}")  # fmt: skip


KmsKey = Annotated[bool | str, BeforeValidator(parse_key)]
"""A customer managed KMS key: its id, ARN or alias, or true; false = none (AWS's key)."""


class VpcSpec(Spec):
    """Where the model containers run: private subnets of your VPC (VpcConfig), or not."""

    subnets: int = Field(0, ge=0, le=16, description="private subnets in CreateModel "
                         "VpcConfig.Subnets (1-16), one per AZ; 0 = no VpcConfig")  # fmt: skip
    security_groups: list[str] | int = Field(
        0, description="VpcConfig.SecurityGroupIds: ids or names (1-5), or how many"
    )
    nacls: bool = Field(False, description="custom network ACLs on the subnets; false = the "
                        "default ACL, which allows all traffic")  # fmt: skip
    nat_gateways: int = Field(0, ge=0, le=64, description="NAT gateways kept for outbound "
                              "internet, billed per hour")  # fmt: skip

    @field_validator("security_groups")
    @classmethod
    def _groups(cls, value: list[str] | int) -> list[str] | int:
        count = value if isinstance(value, int) else len(value)
        if not 0 <= count <= _MAX_GROUPS:
            raise ValueError(f"VpcConfig takes 1 to {_MAX_GROUPS} security groups, got {count}")
        if isinstance(value, list):
            if any(not name.strip() or len(name) > 255 for name in value):
                raise ValueError("a security group id or name is 1 to 255 characters")
            if len(set(value)) < len(value):
                raise ValueError("a security group is listed twice")
        return value

    @model_validator(mode="after")
    def _in_a_vpc(self) -> VpcSpec:
        if self.subnets and not self.group_count:
            raise ValueError("security_groups: VpcConfig needs at least one security group "
                             "with its subnets")  # fmt: skip
        if not self.subnets and self.group_count:
            raise ValueError("security_groups: security groups apply only with subnets; "
                             "set subnets too (VpcConfig needs both)")  # fmt: skip
        if not self.subnets and self.nacls:
            raise ValueError("nacls: a network ACL guards subnets; set subnets too")
        return self

    @property
    def group_count(self) -> int:
        """How many security groups VpcConfig lists."""
        groups = self.security_groups
        return groups if isinstance(groups, int) else len(groups)


class KmsSpec(Spec):
    """Customer managed KMS keys for the instances' storage volumes and for outputs in S3."""

    volume_key: KmsKey = Field(False, description="KmsKeyId of CreateEndpointConfig (Volume"
                               "KmsKeyId of TransformResources): a key or true; false = a "
                               "transient key SageMaker discards")  # fmt: skip
    output_key: KmsKey = Field(False, description="KmsKeyId of TransformOutput, OutputData"
                               "Config, data capture, async output: a key or true; false = "
                               "the account's AWS managed S3 key")  # fmt: skip


class SecuritySpec(Spec):
    """The security posture: network, encryption, IAM; defaults are SageMaker's own."""

    vpc: VpcSpec = VpcSpec()
    runtime_endpoint: Literal["public", "privatelink"] = Field(
        "public", description="where clients call InvokeEndpoint: the public endpoint, or an "
        "interface VPC endpoint com.amazonaws.REGION.sagemaker.runtime",
    )  # fmt: skip
    runtime_endpoint_azs: int = Field(
        2, ge=1, le=32, description="AZs the interface endpoint has a network interface in "
        "(billed per AZ-hour)",
    )  # fmt: skip
    kms: KmsSpec = KmsSpec()
    execution_role: Literal["least_privilege", "broad"] = Field(
        "broad", description="ExecutionRoleArn's permissions; broad = e.g. "
        "AmazonSageMakerFullAccess, which the console's role attaches",
    )  # fmt: skip
    network_isolation: bool = Field(False, description="CreateModel EnableNetworkIsolation: "
                                    "no network calls in or out of the container")  # fmt: skip
    notebook_direct_internet: Literal["Enabled", "Disabled"] = Field(
        "Enabled", description="CreateNotebookInstance DirectInternetAccess (SageMaker's "
        "default Enabled); Disabled needs the notebook in a VPC subnet",
    )  # fmt: skip
    inter_container_encryption: bool = Field(
        False, description="EnableInterContainerTrafficEncryption of distributed training "
        "and processing jobs",
    )  # fmt: skip
    payload_kb: float = Field(
        0.0, ge=0, le=1e6, description="request plus response per invocation, KB: what an "
        "interface endpoint bills per GB (0 = not counted)",
    )  # fmt: skip


@dataclass(frozen=True)
class Finding:
    """One practice checked: ok or a finding, how serious, what to do, and the field to set.

    `field` is the path inside `SecuritySpec` (e.g. `vpc.subnets`); a scenario puts it under
    `security.`. `severity` is what the finding weighs, also given when it is ok.
    """

    practice: str
    status: Literal["ok", "finding"]
    severity: Severity
    message: str
    field: str


def _check(practice: str, severity: Severity, field: str, ok: bool, good: str,
           bad: str) -> Finding:  # fmt: skip
    return Finding(practice, "ok" if ok else "finding", severity, good if ok else bad, field)


def _network(spec: SecuritySpec) -> list[Finding]:
    vpc = spec.vpc
    subnets = (
        "The model containers run in SageMaker's own network and reach S3 and the internet "
        "from there: give CreateModel a VpcConfig with private subnets in at least two "
        "Availability Zones."
        if not vpc.subnets
        else "Only one subnet: SageMaker asks for private subnets in at least two "
        "Availability Zones, even for one instance."
    )
    names = vpc.security_groups if isinstance(vpc.security_groups, list) else []
    groups = (
        "No security group of yours filters the containers' traffic: they are not in your "
        "VPC (VpcConfig.SecurityGroupIds)."
        if not vpc.group_count
        else "The VPC's default security group lets its members reach one another and sends "
        "anywhere: use a group that allows only what the model needs."
    )
    acls = (
        "The subnets keep the default network ACL, which allows all traffic in and out: add "
        "a network ACL that allows only the ports and address ranges the model needs."
        if vpc.subnets
        else "No network ACL guards the containers: they are in no subnet of your VPC."
    )
    return [
        _check("vpc", "high", "vpc.subnets", vpc.subnets >= 2,
               f"The containers run in {vpc.subnets} private subnets of your VPC.", subnets),
        _check("security_groups", "medium", "vpc.security_groups",
               vpc.group_count > 0 and "default" not in names,
               f"{vpc.group_count} security group(s) of yours filter the containers' traffic.",
               groups),
        _check("nacls", "low", "vpc.nacls", vpc.nacls,
               "Network ACLs of yours guard the subnets, beneath the security groups.", acls),
        _check("runtime_endpoint", "medium", "runtime_endpoint",
               spec.runtime_endpoint == "privatelink",
               "Clients reach the SageMaker runtime through an interface VPC endpoint "
               "(PrivateLink), inside the AWS network.",
               "Clients call InvokeEndpoint on SageMaker's public runtime endpoint, over the "
               "internet or a NAT gateway: create an interface VPC endpoint for "
               "com.amazonaws.REGION.sagemaker.runtime."),
    ]  # fmt: skip


def _data(spec: SecuritySpec) -> list[Finding]:
    return [
        _check("kms_volume", "medium", "kms.volume_key", spec.kms.volume_key is not False,
               "A customer managed KMS key encrypts the instances' storage volumes.",
               "The storage volumes are encrypted with a transient key SageMaker picks and "
               "discards: set KmsKeyId on CreateEndpointConfig (VolumeKmsKeyId for jobs) to a "
               "key you can control, audit and revoke."),
        _check("kms_output", "medium", "kms.output_key", spec.kms.output_key is not False,
               "A customer managed KMS key encrypts model artifacts and outputs in S3.",
               "Artifacts and outputs in S3 use the account's AWS managed key for S3, whose "
               "key policy cannot be changed: set KmsKeyId on TransformOutput or "
               "OutputDataConfig to a customer managed key."),
        _check("execution_role", "high", "execution_role",
               spec.execution_role == "least_privilege",
               "The execution role grants only what the model needs.",
               "The execution role is broad (AmazonSageMakerFullAccess, which the console's "
               "role attaches): give the model a role limited to its S3 objects, ECR images "
               "and KMS keys."),
        _check("network_isolation", "medium", "network_isolation", spec.network_isolation,
               "Network isolation: the container makes no network calls in or out.",
               "The model container may call out over the network: set "
               "EnableNetworkIsolation on CreateModel so a compromised container cannot send "
               "data anywhere."),
        _check("notebook_internet", "high", "notebook_direct_internet",
               spec.notebook_direct_internet == "Disabled",
               "Notebook instances reach the internet only through your VPC.",
               "Notebook instances have direct internet access (DirectInternetAccess Enabled, "
               "SageMaker's default): create them with Disabled in a VPC subnet, going out "
               "only through your NAT gateway or VPC endpoints."),
        _check("inter_container_encryption", "medium", "inter_container_encryption",
               spec.inter_container_encryption,
               "Traffic between the instances of distributed jobs is encrypted.",
               "Traffic between the instances of a distributed training or processing job "
               "is not encrypted: set EnableInterContainerTrafficEncryption (training takes "
               "somewhat longer)."),
    ]  # fmt: skip


def findings(spec: SecuritySpec) -> list[Finding]:
    """Each practice of `PRACTICES` checked, in that order: status ok or finding.

    Pure: the same spec gives the same list. Severities follow AWS Security Hub's controls
    where one exists (docs/reference/security.md#the-practices).
    """
    return _network(spec) + _data(spec)


def open_findings(spec: SecuritySpec) -> list[Finding]:
    """Only the practices that are not met."""
    return [f for f in findings(spec) if f.status == "finding"]


# ------------------------------------------------------------ cost and latency


def customer_managed_keys(spec: SecuritySpec) -> int:
    """Distinct customer managed keys: the same id twice is one; each `true` is one more."""
    keys = [spec.kms.volume_key, spec.kms.output_key]
    return len({k for k in keys if isinstance(k, str)}) + sum(k is True for k in keys)


def posture_cost_per_hour(spec: SecuritySpec, azs: int | None = None) -> float:
    """USD per hour the posture adds, however much traffic flows.

    The runtime interface endpoint in `azs` AZs (default `runtime_endpoint_azs`), the NAT
    gateways, and the customer managed keys (docs/reference/security.md#prices).
    Security groups, network ACLs, VPCs and IAM roles cost nothing.
    """
    cost = network.nat_gateway_cost_per_hour(spec.vpc.nat_gateways)
    cost += network.kms_keys_cost_per_hour(customer_managed_keys(spec))
    if spec.runtime_endpoint == "privatelink":
        zones = spec.runtime_endpoint_azs if azs is None else azs
        cost += network.interface_endpoint_cost_per_hour(zones)
    return cost


def posture_cost_per_gb(spec: SecuritySpec) -> float:
    """USD per GB of invocation payload (requests plus responses) the posture adds.

    PrivateLink bills every GB through the interface endpoint; the public endpoint adds
    nothing here (NAT gateways bill the containers' own outbound traffic, not counted).
    """
    if spec.runtime_endpoint == "privatelink":
        return network.interface_endpoint_cost_per_gb()
    return 0.0


def extra_latency_s(spec: SecuritySpec) -> float:
    """Seconds a request spends on the network path against PrivateLink (an estimate).

    docs/reference/security.md#latency-public-against-privatelink: with private DNS an
    interface endpoint keeps the invocation in the client's AZ; the public path may not.
    """
    return network.public_extra_latency_s() if spec.runtime_endpoint == "public" else 0.0
