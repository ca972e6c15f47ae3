"""The security posture: findings per practice, validation naming the field, and its costs.

Costs are checked against hand arithmetic on the figures loaded from network.yaml, never
against numbers written here, so a price change in the data file needs no test change.
"""

import pytest
from pydantic import ValidationError

from simulator.catalog import CatalogError, network
from simulator.scenario.security import (
    PRACTICES,
    SecuritySpec,
    customer_managed_keys,
    extra_latency_s,
    findings,
    open_findings,
    posture_cost_per_gb,
    posture_cost_per_hour,
)

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
LOCKED_DOWN = {
    "vpc": {"subnets": 2, "security_groups": ["sg-0a1b2c3d4e5f60718"], "nacls": True},
    "runtime_endpoint": "privatelink",
    "kms": {"volume_key": KEY, "output_key": "alias/fraud-outputs"},
    "execution_role": "least_privilege",
    "network_isolation": True,
    "notebook_direct_internet": "Disabled",
    "inter_container_encryption": True,
}
FIELDS = {
    "vpc": "vpc.subnets",
    "security_groups": "vpc.security_groups",
    "nacls": "vpc.nacls",
    "runtime_endpoint": "runtime_endpoint",
    "kms_volume": "kms.volume_key",
    "kms_output": "kms.output_key",
    "execution_role": "execution_role",
    "network_isolation": "network_isolation",
    "notebook_internet": "notebook_direct_internet",
    "inter_container_encryption": "inter_container_encryption",
}


def spec(**changes):
    data = {**LOCKED_DOWN, **changes}
    return SecuritySpec.model_validate(data)


def problem(**changes):
    """The one open finding a change to the locked-down posture opens."""
    (found,) = open_findings(spec(**changes))
    return found


def errors(data):
    with pytest.raises(ValidationError) as info:
        SecuritySpec.model_validate(data)
    return [(".".join(map(str, e["loc"])), e["msg"]) for e in info.value.errors()]


# ---------------------------------------------------------------- findings


def test_locked_down_posture_has_no_findings():
    checked = findings(spec())
    assert [f.practice for f in checked] == list(PRACTICES)
    assert {f.status for f in checked} == {"ok"}
    assert open_findings(spec()) == []


def test_default_posture_has_one_finding_per_practice_each_naming_its_field():
    found = open_findings(SecuritySpec())
    assert [f.practice for f in found] == list(PRACTICES)
    assert {f.practice: f.field for f in found} == FIELDS
    assert all(f.status == "finding" and f.severity in ("high", "medium", "low") for f in found)
    assert all(len(f.message) > 40 and f.message.endswith(".") for f in found)


def test_defaults_are_sagemakers_own():
    default = SecuritySpec()
    assert default.vpc.subnets == 0 and default.vpc.group_count == 0
    assert default.runtime_endpoint == "public"
    assert default.kms.volume_key is False and default.kms.output_key is False
    assert default.execution_role == "broad"
    assert default.network_isolation is False
    assert default.notebook_direct_internet == "Enabled"
    assert default.inter_container_encryption is False


@pytest.mark.parametrize(
    ("changes", "practice", "words"),
    [
        ({"runtime_endpoint": "public"}, "runtime_endpoint", "sagemaker.runtime"),
        ({"kms": {"volume_key": False, "output_key": KEY}}, "kms_volume", "transient key"),
        ({"kms": {"volume_key": KEY, "output_key": False}}, "kms_output", "AWS managed key"),
        ({"execution_role": "broad"}, "execution_role", "AmazonSageMakerFullAccess"),
        ({"network_isolation": False}, "network_isolation", "EnableNetworkIsolation"),
        ({"notebook_direct_internet": "Enabled"}, "notebook_internet", "DirectInternetAccess"),
        ({"inter_container_encryption": False}, "inter_container_encryption",
         "EnableInterContainerTrafficEncryption"),
    ],
)  # fmt: skip
def test_each_practice_alone_opens_its_own_finding(changes, practice, words):
    found = problem(**changes)
    assert (found.practice, found.field) == (practice, FIELDS[practice])
    assert words in found.message


def test_one_subnet_is_a_finding_sagemaker_asks_for_two_azs():
    found = problem(vpc={**LOCKED_DOWN["vpc"], "subnets": 1})
    assert found.practice == "vpc" and "two Availability Zones" in found.message


def test_the_default_security_group_is_a_finding():
    found = problem(vpc={**LOCKED_DOWN["vpc"], "security_groups": ["default"]})
    assert found.practice == "security_groups" and "default security group" in found.message
    # a count of groups, or ids, cannot be told apart from the default group: ok
    assert open_findings(spec(vpc={**LOCKED_DOWN["vpc"], "security_groups": 2})) == []


def test_default_network_acl_is_a_finding():
    found = problem(vpc={**LOCKED_DOWN["vpc"], "nacls": False})
    assert found.practice == "nacls" and "allows all traffic" in found.message


def test_findings_are_pure():
    assert findings(spec()) == findings(spec())
    assert findings(SecuritySpec()) == findings(SecuritySpec())


# ---------------------------------------------------------------- validation


def test_unknown_keys_give_a_did_you_mean():
    ((loc, msg),) = errors({"runtime_endpont": "privatelink"})
    assert "did you mean 'runtime_endpoint'" in msg
    ((loc, msg),) = errors({"vpc": {"subnet": 2}})
    assert loc == "vpc" and "did you mean 'subnets'" in msg
    ((loc, msg),) = errors({"kms": {"volume": KEY}})
    assert loc == "kms" and "did you mean 'volume_key'" in msg


@pytest.mark.parametrize(
    ("data", "where", "words"),
    [
        ({"vpc": {"subnets": 2}}, "vpc", "security_groups: VpcConfig needs at least one"),
        ({"vpc": {"security_groups": 1}}, "vpc", "security_groups: security groups apply only"),
        ({"vpc": {"nacls": True}}, "vpc", "nacls: a network ACL guards subnets"),
        ({"vpc": {"subnets": 17, "security_groups": 1}}, "vpc.subnets", "16"),
        ({"vpc": {"subnets": 2, "security_groups": 6}}, "vpc.security_groups", "1 to 5"),
        ({"vpc": {"subnets": 2, "security_groups": ["sg-1", "sg-1"]}}, "vpc.security_groups",
         "listed twice"),
        ({"kms": {"volume_key": "not a key!"}}, "kms.volume_key", "KMS key id"),
        ({"kms": {"output_key": 3}}, "kms.output_key", "KMS key id"),
        ({"runtime_endpoint": "private"}, "runtime_endpoint", "'public' or 'privatelink'"),
        ({"execution_role": "admin"}, "execution_role", "'least_privilege' or 'broad'"),
        ({"notebook_direct_internet": "Off"}, "notebook_direct_internet", "'Enabled'"),
        ({"runtime_endpoint_azs": 0}, "runtime_endpoint_azs", "greater than or equal to 1"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_field(data, where, words):
    ((loc, msg),) = errors(data)
    assert loc == where and words in msg


def test_keys_may_be_ids_arns_aliases_or_true():
    for key in (KEY, "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/ExampleAlias",
                "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias", True):  # fmt: skip
        assert SecuritySpec(kms={"volume_key": key}).kms.volume_key == key


# ---------------------------------------------------------------- cost and latency


def test_posture_cost_per_hour_is_the_data_files_figures():
    fig = network.figures()
    key_hour = fig.kms_key_per_month / fig.hours_per_month
    locked = spec(vpc={**LOCKED_DOWN["vpc"], "nat_gateways": 2})
    # interface endpoint in 2 AZs + 2 NAT gateways + 2 distinct customer managed keys
    expected = 2 * fig.endpoint_per_az_hour + 2 * fig.nat_per_hour + 2 * key_hour
    assert posture_cost_per_hour(locked) == pytest.approx(expected)
    # three AZs instead of the spec's two
    expected_3 = 3 * fig.endpoint_per_az_hour + 2 * fig.nat_per_hour + 2 * key_hour
    assert posture_cost_per_hour(locked, azs=3) == pytest.approx(expected_3)
    assert posture_cost_per_hour(spec(runtime_endpoint_azs=3, vpc={
        **LOCKED_DOWN["vpc"], "nat_gateways": 2})) == pytest.approx(expected_3)  # fmt: skip
    # the default posture adds nothing per hour: no endpoint, no gateway, no key of yours
    assert posture_cost_per_hour(SecuritySpec()) == 0.0
    # a public endpoint drops the endpoint-hours, whatever azs says
    public = spec(runtime_endpoint="public")
    assert posture_cost_per_hour(public, azs=3) == pytest.approx(2 * key_hour)


def test_a_month_of_the_locked_down_posture_by_hand():
    fig = network.figures()
    month = posture_cost_per_hour(spec()) * fig.hours_per_month
    # two endpoint-AZs all month and two keys at their monthly price
    by_hand = 2 * fig.endpoint_per_az_hour * fig.hours_per_month + 2 * fig.kms_key_per_month
    assert month == pytest.approx(by_hand)


def test_keys_are_counted_once_per_distinct_id_and_once_per_true():
    assert customer_managed_keys(spec(kms={"volume_key": KEY, "output_key": KEY})) == 1
    assert customer_managed_keys(spec(kms={"volume_key": KEY, "output_key": "alias/x"})) == 2
    assert customer_managed_keys(spec(kms={"volume_key": True, "output_key": True})) == 2
    assert customer_managed_keys(SecuritySpec()) == 0


def test_posture_cost_per_gb_is_privatelinks_data_processing():
    fig = network.figures()
    assert posture_cost_per_gb(spec()) == fig.endpoint_per_gb
    assert posture_cost_per_gb(SecuritySpec()) == 0.0
    # 10 GB of requests and responses through the endpoint
    assert 10 * posture_cost_per_gb(spec()) == pytest.approx(10 * fig.endpoint_per_gb)


def test_extra_latency_is_the_public_paths_estimate():
    fig = network.figures()
    assert extra_latency_s(SecuritySpec()) == fig.public_extra_latency_s
    assert extra_latency_s(spec()) == 0.0
    assert 0 < fig.public_extra_latency_s < 0.01  # a fraction of a millisecond to a few


def test_network_figures_carry_their_sources():
    fig = network.figures()
    assert len(fig.sources) >= 4
    assert all("docs/reference/security.md#" in s for s in fig.sources if "derived" not in s)
    with pytest.raises(CatalogError, match="azs"):
        network.interface_endpoint_cost_per_hour(-1)
