"""SageMaker (and EC2) requests -> SecuritySpec: the locked-down and the default example,
each request checked against botocore's own service model, and every refusal naming the
field.
"""

import copy
import json
from pathlib import Path

import botocore.session
import botocore.validate
import pytest

from simulator.importers import ConfigImportError
from simulator.importers.security import EC2, OPERATIONS, security_from_sagemaker
from simulator.scenario.security import PRACTICES, SecuritySpec, findings, open_findings

HERE = Path(__file__).resolve().parent / "security"
GOOD, BAD = HERE / "good.json", HERE / "bad.json"
KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def load(path):
    return json.loads(path.read_text())


def refused(doc, where="doc.json"):
    with pytest.raises(ConfigImportError) as info:
        security_from_sagemaker(doc, where)
    return str(info.value)


def changed(change):
    doc = load(GOOD)
    change(doc)
    return doc


# ---------------------------------------------------------------- the examples


@pytest.mark.parametrize("path", [GOOD, BAD], ids=["good", "bad"])
def test_the_examples_are_real_requests_by_botocores_service_model(path):
    session = botocore.session.get_session()
    models = {name: session.get_service_model(name) for name in ("sagemaker", "ec2")}
    for operation, request in load(path).items():
        assert operation in OPERATIONS
        model = models["ec2" if operation in EC2 else "sagemaker"]
        shape = model.operation_model(operation).input_shape
        report = botocore.validate.ParamValidator().validate(request, shape)
        assert not report.has_errors(), report.generate_report()


def test_locked_down_requests_have_no_findings():
    notes = []
    sec = security_from_sagemaker(load(GOOD), str(GOOD), notes)
    assert open_findings(sec) == []
    assert [f.status for f in findings(sec)] == ["ok"] * len(PRACTICES)
    assert sec.vpc.subnets == 2 and sec.vpc.security_groups == ["sg-0a1b2c3d4e5f60718"]
    assert sec.vpc.nacls is True and sec.runtime_endpoint == "privatelink"
    assert sec.runtime_endpoint_azs == 2
    assert sec.kms.volume_key == KEY and sec.kms.output_key == KEY
    assert sec.execution_role == "least_privilege"
    assert any("judged" in n or "from their names" in n for n in notes)


def test_default_requests_are_sagemakers_defaults_one_finding_per_practice():
    notes = []
    sec = security_from_sagemaker(load(BAD), str(BAD), notes)
    assert sec == SecuritySpec()
    found = open_findings(sec)
    assert [f.practice for f in found] == list(PRACTICES)
    assert all(f.field for f in found)
    assert any("AmazonSageMaker-ExecutionRole" in n and "broad" in n for n in notes)
    assert any("no VpcConfig" in n for n in notes)


def test_a_lone_request_is_recognised_and_the_rest_keeps_sagemakers_defaults():
    good = load(GOOD)
    config = security_from_sagemaker(good["CreateEndpointConfig"], "cfg.json")
    assert config == SecuritySpec(kms={"volume_key": KEY})
    model = security_from_sagemaker(good["CreateModel"], "model.json")
    assert model.vpc.subnets == 2 and model.network_isolation is True
    notebook = security_from_sagemaker(good["CreateNotebookInstance"], "nb.json")
    assert notebook.notebook_direct_internet == "Disabled"
    assert notebook.kms.volume_key == KEY and notebook.execution_role == "least_privilege"


# ---------------------------------------------------------------- weakest link


def test_the_weakest_request_wins():
    def second_model(doc):
        open_model = copy.deepcopy(doc["CreateModel"])
        del open_model["VpcConfig"], open_model["EnableNetworkIsolation"]
        doc["CreateModel"] = [doc["CreateModel"], open_model]
        del doc["CreateNetworkAcl"]

    sec = security_from_sagemaker(changed(second_model), "doc.json")
    assert sec.vpc.subnets == 0 and sec.network_isolation is False
    no_output_key = changed(lambda d: d["CreateTransformJob"]["TransformOutput"].pop("KmsKeyId"))
    assert security_from_sagemaker(no_output_key, "doc.json").kms.output_key is False
    broad = changed(lambda d: d["CreateNotebookInstance"].update(
        RoleArn="arn:aws:iam::123456789012:role/DataScienceAdmin"))  # fmt: skip
    assert security_from_sagemaker(broad, "doc.json").execution_role == "broad"
    full = changed(lambda d: d["CreateModel"].update(
        ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-fullaccess"))  # fmt: skip
    assert security_from_sagemaker(full, "doc.json").execution_role == "broad"


def test_nat_gateways_are_counted_and_a_public_runtime_is_kept():
    def nat_and_no_runtime(doc):
        doc["CreateNatGateway"] = [{"SubnetId": "subnet-0123456789abcdef0"},
                                   {"SubnetId": "subnet-0123456789abcdef1"}]  # fmt: skip
        doc["CreateVpcEndpoint"]["ServiceName"] = "com.amazonaws.us-east-1.s3"
        doc["CreateVpcEndpoint"]["VpcEndpointType"] = "Gateway"

    sec = security_from_sagemaker(changed(nat_and_no_runtime), "doc.json")
    assert sec.vpc.nat_gateways == 2 and sec.runtime_endpoint == "public"


# ---------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(CreateModl=d.pop("CreateModel")),
         "CreateModl: not an operation deploysim reads (did you mean 'CreateModel'?)"),
        (lambda d: d["CreateModel"]["VpcConfig"].update(Subnet=["subnet-1"]),
         'CreateModel: botocore rejects the request: Unknown parameter in VpcConfig: "Subnet"'),
        (lambda d: d["CreateModel"].update(EnableNetworkIsolation="yes"),
         "CreateModel: botocore rejects the request: Invalid type for parameter "
         "EnableNetworkIsolation"),
        (lambda d: d["CreateNotebookInstance"].update(DirectInternetAccess="Maybe"),
         "CreateNotebookInstance.DirectInternetAccess: 'Maybe' is not one of Enabled, Disabled"),
        (lambda d: d["CreateNotebookInstance"].pop("SubnetId"),
         "CreateNotebookInstance.DirectInternetAccess: Disabled needs a SubnetId"),
        (lambda d: d["CreateModel"]["VpcConfig"].update(SecurityGroupIds=[f"sg-{i}" for i in
                                                                          range(6)]),
         "CreateModel.VpcConfig.SecurityGroupIds: 6 items, at most 5"),
        (lambda d: d["CreateEndpointConfig"].update(KmsKeyId="not a key!"),
         "CreateEndpointConfig.KmsKeyId: expected a KMS key id"),
        (lambda d: d["CreateVpcEndpoint"].pop("VpcEndpointType"),
         "CreateVpcEndpoint.VpcEndpointType: not given, so Gateway"),
        (lambda d: d["CreateVpcEndpoint"].pop("SubnetIds"),
         "CreateVpcEndpoint.SubnetIds: an interface endpoint needs a subnet"),
        (lambda d: d["CreateModel"].pop("VpcConfig"),
         "CreateNetworkAcl: a network ACL guards subnets"),
    ],
)  # fmt: skip
def test_refusals_name_the_file_and_field(change, words):
    assert refused(changed(change)).startswith(f"doc.json: {words}")


def test_what_is_not_a_request_is_refused():
    assert "not a request deploysim reads" in refused({"EndpointName": "x", "DeploymentConfig": {}})
    assert "expected a mapping" in refused([])
    assert "empty" in refused({})
