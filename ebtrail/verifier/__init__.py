"""ebtrail's verifier: makes an Elastic Beanstalk API call and proves that CloudTrail recorded it."""
