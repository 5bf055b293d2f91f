"""moto's S3 server over HTTP for the storage tests (owned by the books work).

`s3_storage` starts one ThreadedMotoServer per test session on 127.0.0.1 and a
free port, creates a fresh bucket per test, and points STORAGES["default"] at
it through django-storages' S3 backend, exactly as production does with USE_S3.
"""

import socket
import uuid

import pytest


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def moto_s3_endpoint():
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_storage(moto_s3_endpoint, settings):
    """STORAGES["default"] on a fresh bucket of the moto server; yields the boto3 client to inspect it."""
    import boto3

    bucket = f"trousse-test-{uuid.uuid4().hex[:12]}"
    credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "eu-west-3"}
    client = boto3.client("s3", endpoint_url=moto_s3_endpoint, **credentials)
    client.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": bucket,
                "endpoint_url": moto_s3_endpoint,
                "region_name": "eu-west-3",
                "access_key": "testing",
                "secret_key": "testing",
                "default_acl": None,
                "querystring_auth": True,
                "file_overwrite": False,
            },
        },
    }
    client.bucket_name = bucket
    yield client
