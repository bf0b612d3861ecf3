"""AWS: Cost Explorer, CUR / CUR 2.0 from S3, Athena over CUR, the CUR format and the idle scan.

Importing this package imports nothing else (boto3 loads on first use): ``provider.AwsProvider``
is what the registry loads.
"""
