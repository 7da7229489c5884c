"""Files in an S3 bucket (AWS, or any S3-compatible service through STORAGE_ENDPOINT_URL).

Credentials come from wherever boto3 finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a
profile, an instance role); nothing here reads them.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from .base import checked_key


def content_disposition(filename: str) -> str:
    """`inline` with the name to save as: an ASCII fallback and the exact name (RFC 6266)."""
    fallback = "".join(c for c in filename if c.isascii() and c.isprintable() and c not in '"\\') or "clip"
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


class S3Storage:
    def __init__(self, bucket: str, *, region: str = "us-east-1", endpoint_url: str | None = None):
        self.bucket = bucket
        # SigV4 presigned URLs (X-Amz-Expires); path-style addressing for S3-compatible endpoints,
        # which seldom have a DNS name per bucket.
        config = Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint_url else "auto"})
        self.client = boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)

    def put_file(self, key: str, path: Path, content_type: str) -> None:
        """boto3's managed transfer: read from disk in parts, multipart above its threshold."""
        self.client.upload_file(str(path), self.bucket, checked_key(key), ExtraArgs={"ContentType": content_type})

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=checked_key(key))  # S3 answers 204 for a missing key too

    def exists(self, key: str) -> bool:
        try:
            self.client.head_object(Bucket=self.bucket, Key=checked_key(key))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def url_for_viewer(self, key: str, *, expires_seconds: int, filename: str | None = None) -> str | None:
        params = {"Bucket": self.bucket, "Key": checked_key(key)}
        if filename:
            params["ResponseContentDisposition"] = content_disposition(filename)
        return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires_seconds)

    def open_local(self, key: str) -> Path | None:
        checked_key(key)
        return None
