"""ebtrail: record every Elastic Beanstalk API call with AWS CloudTrail, and prove that the recording works.

Layers, bottom to top (imports only go down; tests/test_layers.py checks it):

* :mod:`ebtrail.core`: shared facts in plain Python (names and ARNs, Elastic Beanstalk facts, the verifier's
  IAM permission list). No aws-cdk-lib, no boto3, no pydantic.
* :mod:`ebtrail.verifier` (``ebtrail-verify``, the base install) beside :mod:`ebtrail.constructs` (the
  ``cdk`` extra) and :mod:`ebtrail.config` (the deployment config model, ``cdk`` extra), each on the core only.
* :mod:`ebtrail.deployment`: the config turned into the plain values the constructs take.

The repository's ``stacks/`` and ``app.py`` (the deployable app) sit on top and are not part of the package.
"""

__version__ = "0.1.0"
