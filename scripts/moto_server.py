"""moto_server, plus CloudWatch's Smithy RPC v2 CBOR protocol and S3's XML roots.

The AWS SDK for Rust speaks CloudWatch in Smithy RPC v2 CBOR (POST
/service/GraniteServiceVersion20100801/operation/<Operation>, a CBOR body, the
`smithy-protocol: rpc-v2-cbor` header); moto 5.2.5 answers CloudWatch's query and
JSON 1.0 protocols only (getmoto/moto#9195: no CBOR support planned). This wrapper
translates each CBOR request into the same JSON 1.0 request (X-Amz-Target
`GraniteServiceVersion20100801.<Operation>`), lets moto answer it, and encodes the
answer back in CBOR, timestamps as CBOR tag 1 (epoch seconds) as the protocol
requires. Everything else goes to moto untouched. moto does the emulation; this only
changes the encoding, so what the tests check is moto's state.

S3: moto 5.2.5 names the root element of some S3 answers `<{Operation}Response>`
(e.g. `<GetBucketVersioningResponse>` where S3 sends `<VersioningConfiguration>`);
boto3 ignores root names, the Rust SDK refuses them. A second wrapper renames those
roots to the ones S3 documents; the content is moto's, unchanged.

Usage: python scripts/moto_server.py [moto_server arguments], e.g. -H 127.0.0.1 -p 5000
"""

import datetime
import io
import json
import re
import struct
import sys

from moto.moto_server.werkzeug_app import DomainDispatcherApplication

# ----------------------------------------------------------------------- CBOR (RFC 8949)


def _argument(data, at, info):
    if info < 24:
        return info, at
    size = {24: 1, 25: 2, 26: 4, 27: 8}.get(info)
    if size is None:
        return None, at  # indefinite length (31)
    return int.from_bytes(data[at : at + size], "big"), at + size


def _decode(data, at):
    head = data[at]
    at += 1
    major, info = head >> 5, head & 0x1F
    if major == 7:
        if info == 20:
            return False, at
        if info == 21:
            return True, at
        if info in (22, 23):
            return None, at
        if info == 25:
            return _half(int.from_bytes(data[at : at + 2], "big")), at + 2
        if info == 26:
            return struct.unpack(">f", data[at : at + 4])[0], at + 4
        if info == 27:
            return struct.unpack(">d", data[at : at + 8])[0], at + 8
        raise ValueError(f"cbor: simple value {info}")
    n, at = _argument(data, at, info)
    if major == 0:
        return n, at
    if major == 1:
        return -1 - n, at
    if major in (2, 3):
        if n is None:  # chunks until the break byte
            parts = []
            while data[at] != 0xFF:
                part, at = _decode(data, at)
                parts.append(part)
            joined = b"".join(parts) if major == 2 else "".join(parts)
            return joined, at + 1
        raw = data[at : at + n]
        return (raw if major == 2 else raw.decode("utf-8")), at + n
    if major == 4:
        items = []
        while (n is None and data[at] != 0xFF) or (n is not None and len(items) < n):
            item, at = _decode(data, at)
            items.append(item)
        return items, at + (1 if n is None else 0)
    if major == 5:
        entries = {}
        while (n is None and data[at] != 0xFF) or (n is not None and len(entries) < n):
            key, at = _decode(data, at)
            entries[key], at = _decode(data, at)
        return entries, at + (1 if n is None else 0)
    if major == 6:  # a tag: tag 1 is an epoch timestamp, JSON 1.0 sends it as a number
        return _decode(data, at)
    raise ValueError(f"cbor: major type {major}")


def _half(bits):
    sign = -1.0 if bits & 0x8000 else 1.0
    exponent, fraction = (bits >> 10) & 0x1F, bits & 0x3FF
    if exponent == 0:
        return sign * fraction * 2.0**-24
    if exponent == 31:
        return sign * float("inf") if fraction == 0 else float("nan")
    return sign * (1 + fraction / 1024.0) * 2.0 ** (exponent - 15)


def _head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, size in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if n < 1 << (8 * size):
            return bytes([major << 5 | info]) + n.to_bytes(size, "big")
    raise ValueError("cbor: integer too large")


def _epoch(value):
    if isinstance(value, str):
        return datetime.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    return float(value)


def _encode(value, timestamp=False):
    if timestamp and value is not None:
        return b"\xc1" + b"\xfb" + struct.pack(">d", _epoch(value))
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        return _head(0, value) if value >= 0 else _head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8")
        return _head(3, len(raw)) + raw
    if isinstance(value, bytes):
        return _head(2, len(value)) + value
    if isinstance(value, list):
        return _head(4, len(value)) + b"".join(_encode(v, timestamp=False) for v in value)
    if isinstance(value, dict):
        out = _head(5, len(value))
        for key, item in value.items():
            out += _encode(key) + _encode(item, timestamp=key.endswith("Timestamp"))
        return out
    raise ValueError(f"cbor: cannot encode {type(value).__name__}")


# ------------------------------------------------------------------- the translation

_ORIGINAL = DomainDispatcherApplication.__call__


def _call(self, environ, start_response):
    path = environ.get("PATH_INFO", "")
    if environ.get("HTTP_SMITHY_PROTOCOL") != "rpc-v2-cbor" or "/operation/" not in path:
        return _ORIGINAL(self, environ, start_response)
    parts = path.strip("/").split("/")  # service/<ServiceId>/operation/<Operation>
    service, operation = parts[1], parts[3]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    try:
        request = _decode(body, 0)[0] if body else {}
        data = json.dumps(request).encode()
    except (ValueError, TypeError, IndexError) as e:
        # A request this translation cannot carry is the caller's error (400), never a
        # 500 the SDK would retry.
        return _answer(start_response, "400 Bad Request", {"__type": "SerializationException", "message": str(e)}, [])
    environ = dict(environ)
    environ.pop("HTTP_SMITHY_PROTOCOL", None)
    environ.update(
        {
            "PATH_INFO": "/",
            "CONTENT_TYPE": "application/x-amz-json-1.0",
            "HTTP_X_AMZ_TARGET": f"{service}.{operation}",
            "CONTENT_LENGTH": str(len(data)),
            "wsgi.input": io.BytesIO(data),
        }
    )
    answered = {}

    def capture(status, headers, exc_info=None):
        answered["status"] = status
        answered["headers"] = headers
        return lambda chunk: None

    raw = b"".join(_ORIGINAL(self, environ, capture))
    try:
        answer = json.loads(raw) if raw.strip() else {}
    except ValueError:
        answer = {"__type": "InternalFailure", "message": raw[:500].decode("utf-8", "replace")}
    # CloudWatch is query-compatible: the SDK reads an error's code from this header.
    kept = [(k, v) for k, v in answered.get("headers", []) if k.lower() == "x-amzn-query-error"]
    return _answer(start_response, answered.get("status", "500 Internal Server Error"), answer, kept)


def _answer(start_response, status, answer, headers):
    encoded = _encode(answer)
    start_response(
        status,
        [
            ("Content-Type", "application/cbor"),
            ("smithy-protocol", "rpc-v2-cbor"),
            ("Content-Length", str(len(encoded))),
        ]
        + headers,
    )
    return [encoded]


# ------------------------------------------------------------- S3's XML root elements

# moto 5.2.5 serializes some S3 answers with the root element `<{Operation}Response>`
# (boto3 ignores the root's name); S3 names the root after the output shape, and the Rust
# SDK refuses any other root ("invalid XML root: expected VersioningConfiguration"). The
# roots the SDK expects, by the name moto gives them:
_S3_ROOTS = {
    "GetBucketVersioningResponse": "VersioningConfiguration",
    "GetBucketLifecycleConfigurationResponse": "LifecycleConfiguration",
    "GetBucketCorsResponse": "CORSConfiguration",
    "GetBucketTaggingResponse": "Tagging",
    "GetObjectTaggingResponse": "Tagging",
    "DeleteObjectsResponse": "DeleteResult",
    "GetBucketAccelerateConfigurationResponse": "AccelerateConfiguration",
    "GetBucketAclResponse": "AccessControlPolicy",
    "GetObjectAclResponse": "AccessControlPolicy",
    "GetBucketLoggingResponse": "BucketLoggingStatus",
    "GetBucketNotificationConfigurationResponse": "NotificationConfiguration",
    "ListObjectVersionsResponse": "ListVersionsResult",
    "ListObjectsResponse": "ListBucketResult",
    "ListObjectsV2Response": "ListBucketResult",
    "ListBucketsResponse": "ListAllMyBucketsResult",
    "ListMultipartUploadsResponse": "ListMultipartUploadsResult",
    "ListPartsResponse": "ListPartsResult",
    "ListBucketInventoryConfigurationsResponse": "ListInventoryConfigurationsResult",
    "CompleteMultipartUploadResponse": "CompleteMultipartUploadResult",
    "CreateMultipartUploadResponse": "InitiateMultipartUploadResult",
}
_S3_ROOT = re.compile(rb'^(<\?xml[^>]*\?>\s*)?<(\w+)( xmlns="http://s3\.amazonaws\.com/doc/2006-03-01/")')


def _s3_root(body):
    """The body with its root renamed when it is one of `_S3_ROOTS`, else None."""
    found = _S3_ROOT.match(body)
    if not found or found.group(2).decode() not in _S3_ROOTS:
        return None
    wrong = found.group(2)
    right = _S3_ROOTS[wrong.decode()].encode()
    body = body[: found.start(2)] + right + body[found.end(2) :]
    closing = b"</" + wrong + b">"
    at = body.rfind(closing)
    if at >= 0:
        body = body[:at] + b"</" + right + b">" + body[at + len(closing) :]
    return body


def _renaming_s3_roots(self, environ, start_response):
    answered = {}

    def capture(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, headers
        return lambda chunk: None

    body = b"".join(_call(self, environ, capture))
    headers = answered.get("headers", [])
    renamed = _s3_root(body) if any(
        k.lower() == "content-type" and "xml" in v for k, v in headers
    ) else None
    if renamed is not None:
        body = renamed
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(body))))
    start_response(answered.get("status", "500 Internal Server Error"), headers)
    return [body]


DomainDispatcherApplication.__call__ = _renaming_s3_roots

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
