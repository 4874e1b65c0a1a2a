"""``ebtrail-verify changes`` and ``ebtrail-verify import-map``: what a deploy would replace, and how to get back
over what a teardown kept.

* :mod:`~ebtrail.verifier.changes.schemas`: the create-only properties and primary identifiers of every
  CloudFormation resource type, generated from the resource provider schemas cfn-lint ships
  (``resource_schemas.json``; the base install has no cfn-lint).
* :mod:`~ebtrail.verifier.changes.assembly`: the stacks of a cloud assembly, read as JSON.
* :mod:`~ebtrail.verifier.changes.compare`: two assemblies compared, per stack: added, deleted, replaced, and
  what each replacement means for the record.
* :mod:`~ebtrail.verifier.changes.deployed`: the deployed templates (CloudFormation ``GetTemplate``) written as
  an assembly, so a deploy compares with what runs.
* :mod:`~ebtrail.verifier.changes.kept`: the resource-import mapping of what a deleted stack kept.
"""
