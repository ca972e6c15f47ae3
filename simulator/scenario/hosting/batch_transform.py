"""A SageMaker Batch Transform job (CreateTransformJob): a whole dataset scored offline.

The job starts its instances, splits the input files among them, cuts each file into
mini-batches (one record each, or as many as fit in MaxPayloadInMB) and sends each
instance at most MaxConcurrentTransforms of them at once. The limits are botocore's
service model's (docs/reference/hosting.md#batch-transform): MaxPayloadInMB defaults to 6
and is at most 100, and MaxConcurrentTransforms x MaxPayloadInMB is at most 100 MB;
InvocationsTimeoutInSeconds 1-3600 (600); InvocationsMaxRetries 0-3 (3).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.scenario.base import Duration, Spec

MAX_RECORDS = 200_000_000
"""Records one job may hold: each is drawn and scheduled, as a run's requests are
(`simulator.engine.budget.MAX_REQUESTS`)."""

PAYLOAD_LIMIT_MB = 100.0
"""MaxPayloadInMB, and MaxConcurrentTransforms x MaxPayloadInMB, at most (botocore 1.44)."""


class BatchTransform(Spec):
    """A transform job over `records` records in `files` S3 objects, on the fleet's instances.

    The fleet gives InstanceType (`target`), InstanceCount (`instances`) and the model.
    """

    kind: Literal["batch_transform"]
    records: int | None = Field(
        None, ge=1, le=MAX_RECORDS, description="records in the dataset; default the requests "
        "the scenario's traffic sends over its duration (the same work, as a dataset)")  # fmt: skip
    record_size_kb: float = Field(1.0, gt=0, le=PAYLOAD_LIMIT_MB * 1024,
                                  description="size of one record, KB")  # fmt: skip
    files: int = Field(
        1, ge=1, le=1_000_000, description="S3 objects; one file is read by one instance only"
    )
    start: Duration = Field(0.0, description="when the job is created, s from the run's start")
    start_up: Duration | None = Field(
        None, description="CreateTransformJob to the first invocation, s; default the target's "
        "start-up from the catalog")  # fmt: skip
    max_concurrent_transforms: int | None = Field(
        None, ge=1, le=1000, description="requests at once per instance; default the workers the "
        "container serves (what its execution-parameters report)")  # fmt: skip
    batch_strategy: Literal["SingleRecord", "MultiRecord"] = Field(
        "MultiRecord", description="one record per request, or as many as fit the payload"
    )
    max_payload_mb: float = Field(6.0, gt=0, le=PAYLOAD_LIMIT_MB, description="MaxPayloadInMB")
    invocations_timeout: Duration = Field(
        600.0, ge=1, le=3600, description="InvocationsTimeoutInSeconds: an attempt longer fails, s"
    )
    invocations_max_retries: int = Field(3, ge=0, le=3, description="InvocationsMaxRetries")

    @model_validator(mode="after")
    def _payload(self) -> BatchTransform:
        if self.record_size_kb > self.max_payload_mb * 1024:
            raise ValueError(f"record_size_kb ({self.record_size_kb:g} KB) must fit in "
                             f"max_payload_mb ({self.max_payload_mb:g} MB)")  # fmt: skip
        concurrent = self.max_concurrent_transforms
        if concurrent is not None and concurrent * self.max_payload_mb > PAYLOAD_LIMIT_MB:
            total = concurrent * self.max_payload_mb
            raise ValueError(f"max_concurrent_transforms x max_payload_mb is {total:g} MB; "
                             f"SageMaker allows at most {PAYLOAD_LIMIT_MB:g} MB")  # fmt: skip
        return self

    @property
    def records_per_batch(self) -> int:
        """Records in one mini-batch: 1, or as many whole records as fit in the payload."""
        if self.batch_strategy == "SingleRecord":
            return 1
        return max(1, int(self.max_payload_mb * 1024 // self.record_size_kb))
