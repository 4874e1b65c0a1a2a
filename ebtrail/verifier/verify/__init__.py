"""``ebtrail-verify verify``: make one Elastic Beanstalk API call and prove each delivery channel recorded it.

* :mod:`.run`: the run, from preflight to cleanup.
* :mod:`.probe`: the probe call and its cleanup (it deletes only what it created).
* :mod:`.channels`: one module per delivery channel (Event history, the S3 log files, SNS).
* :mod:`.report`: the verdict and its exit code.
"""
