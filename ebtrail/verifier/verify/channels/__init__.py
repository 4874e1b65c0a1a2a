"""The three channels a verification waits on: the S3 log folder, the SNS delivery notifications (through a
temporary SQS queue) and CloudTrail event history (``LookupEvents``)."""
