"""Regions and partitions, written once: every other module asks here (tests/package/test_layers.py checks that no
other module lists a region or a partition, or asks botocore itself).

The facts come from botocore's bundled endpoint data (``botocore/data/endpoints.json``, read with botocore's own
loader and endpoint resolver: offline, no AWS call), so a botocore upgrade brings new regions and partitions
without a change here. botocore is a base dependency of ebtrail and is in the Lambda Python runtime.

A region the pinned botocore does not list yet still gets its partition from the partition's ``regionRegex``
(what botocore itself does), so code that only needs the partition keeps working for a region launched after
the pin; code that needs the *list* of a partition's regions (Athena's projection, CloudTrail's regional
deliveries) gets the pinned list and says so where it matters.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import botocore.loaders
import botocore.regions

#: The commercial partition, whose regions need no special handling anywhere (ARNs ``arn:aws:...``).
COMMERCIAL = "aws"
#: Where a caller that knows no region at all starts (boto3 needs one to make a client): the commercial
#: partition's implicit global region in botocore's ``partitions.json``.
FALLBACK_REGION = "us-east-1"


class UnknownRegionError(ValueError):
    """The name is not a region of any partition botocore knows (neither listed nor matching a regionRegex)."""


@cache
def _endpoint_data() -> dict[str, Any]:
    data: dict[str, Any] = botocore.loaders.create_loader().load_data("endpoints")
    return data


@cache
def _resolver() -> botocore.regions.EndpointResolver:
    return botocore.regions.EndpointResolver(_endpoint_data(), uses_builtin_data=True)


def _partition_data(partition: str) -> dict[str, Any]:
    for data in _endpoint_data()["partitions"]:
        if data["partition"] == partition:
            return dict(data)
    raise ValueError(f"unknown partition {partition!r}; known: {', '.join(partitions())}")


@cache
def partitions() -> tuple[str, ...]:
    """Every partition botocore knows (``aws``, ``aws-cn``, ``aws-us-gov``, the ISO partitions, ...)."""
    return tuple(_resolver().get_available_partitions())


@cache
def service_regions(service: str, partition: str = COMMERCIAL) -> tuple[str, ...]:
    """The regions where ``service`` (its endpoint prefix: ``cloudtrail``, ``elasticbeanstalk``) has a regional
    endpoint in ``partition``, sorted. Empty when botocore lists none there (Elastic Beanstalk in the ISO
    partitions, for example)."""
    if partition not in partitions():
        raise ValueError(f"unknown partition {partition!r}; known: {', '.join(partitions())}")
    return tuple(sorted(_resolver().get_available_endpoints(service, partition_name=partition)))


def cloudtrail_regions(partition: str = COMMERCIAL) -> tuple[str, ...]:
    """Regions where CloudTrail runs in ``partition``: where a multi-region trail delivers from."""
    return service_regions("cloudtrail", partition)


@cache
def known_regions() -> dict[str, str]:
    """Every region where CloudTrail runs, of every partition, mapped to its partition."""
    return {region: partition for partition in partitions() for region in cloudtrail_regions(partition)}


@cache
def partition_of(region: str) -> str:
    """The partition of ``region``: listed in botocore's data, or matching a partition's ``regionRegex`` (so a
    region launched after the pinned botocore still resolves). :class:`UnknownRegionError` otherwise."""
    listed = known_regions().get(region)
    if listed is not None:
        return listed
    try:
        return str(_resolver().get_partition_for_region(region))
    except Exception as exc:  # botocore.exceptions.UnknownRegionError
        raise UnknownRegionError(f"{region!r} is not a region of any partition botocore knows") from exc


def dns_suffix(partition: str) -> str:
    """The partition's DNS suffix (``amazonaws.com``, ``amazonaws.com.cn``, ``csp.hci.ic.gov``, ...): the value of
    CloudFormation's ``AWS::URLSuffix`` pseudo parameter there."""
    return str(_partition_data(partition)["dnsSuffix"])


def regional_service_name(service: str, region: str) -> str:
    """``<service>.<region>.<DNS suffix>`` for a region's partition: ``logs.cn-north-1.amazonaws.com.cn``,
    ``s3.us-iso-east-1.c2s.ic.gov``. Both the regional service principal of CloudWatch Logs (the KMS key policy of
    an encrypted log group, "Encrypt log data in CloudWatch Logs using AWS KMS": ``logs.<region>.amazonaws.com``
    in the ``aws`` partition) and the ``kms:ViaService`` value a service sends (its regional endpoint name,
    "kms:ViaService", AWS KMS Developer Guide: ``s3.<region>.amazonaws.com``) end in the partition's DNS suffix,
    not ``amazonaws.com``, outside ``aws``; AWS's CDK builds the logs principal the same way (region-info
    ``Default.servicePrincipal``: ``logs.<region>.<URL suffix>``). Raises :class:`UnknownRegionError` for a
    region of no known partition."""
    return f"{service}.{region}.{dns_suffix(partition_of(region))}"


def organizations_region(partition: str) -> str | None:
    """Region of the AWS Organizations endpoint in ``partition`` (the credential scope of its global endpoint:
    us-east-1 in ``aws``, cn-northwest-1 in ``aws-cn``, ...; AWS Organizations API Reference, "Endpoint to
    call"); None where botocore lists no Organizations endpoint."""
    endpoints = _partition_data(partition)["services"].get("organizations", {}).get("endpoints", {})
    for name, endpoint in endpoints.items():
        if not name.startswith("fips-") and "credentialScope" in endpoint:
            region = endpoint["credentialScope"].get("region")
            if region:
                return str(region)
    return None
