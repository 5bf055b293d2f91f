"""moto's S3 server over HTTP for the storage tests (owned by the books work)."""
