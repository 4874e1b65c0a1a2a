"""ebtrail: record every Elastic Beanstalk API call with AWS CloudTrail, and prove that the recording works.

Layers, bottom to top (imports only go down; tests/test_layers.py checks it):

* :mod:`ebtrail.core`: shared facts in plain Python (names and ARNs, Elastic Beanstalk facts, the verifier's
  IAM permission list). No aws-cdk-lib, no boto3, no pydantic.
* :mod:`ebtrail.verifier` (``ebtrail-verify``, the base install) beside :mod:`ebtrail.constructs` (the
  ``cdk`` extra), each on the core only.

The repository's app sits on top and is not part of the package: ``deployment/`` (the TOML config model and its
plan in plain values), ``stacks/`` and ``app.py``.
"""

__version__ = "0.1.0"
