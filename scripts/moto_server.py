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

ElastiCache: moto 5.2.5 has no DeleteCacheSubnetGroup, no ModifyCacheSubnetGroup and no
cache parameter groups. A third wrapper answers those query-protocol actions itself (a
form-encoded POST with `Action=<Action>&Version=2015-02-02`), in the XML the ElastiCache
API reference documents: the subnet group actions on moto's own backend
(`elasticache_backends[account][region].cache_subnet_groups`), the parameter group
actions (Create, Describe, Modify, Reset, DescribeCacheParameters, Delete) on state kept
here per account and region, emptied by `POST /moto-api/reset`. A parameter group holds
only the parameters set by Modify (what `Source=user` lists); it knows no engine defaults,
so DescribeCacheParameters without `Source=user` lists the same. DeleteReplicationGroup
goes to moto, which answers it but keeps the group in `deleting` forever and ignores
FinalSnapshotIdentifier: around moto's answer the wrapper takes the final snapshot first
(moto's CreateSnapshot) and drops the group once moto has answered, so a deletion ends at
once as a create does. moto's CreateReplicationGroup makes a group with cluster mode
disabled of 1 + `ReplicasPerNodeGroup` nodes and ignores `NumCacheClusters`, the parameter
the API documents for that mode: the wrapper passes `NumCacheClusters - 1` on as
`ReplicasPerNodeGroup` when the request names no replicas itself. Every other action goes
to moto unchanged.

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


# ----------------------------------------------------------- ElastiCache's missing actions

_ELASTICACHE_VERSION = "2015-02-02"
_ELASTICACHE_XMLNS = "http://elasticache.amazonaws.com/doc/2015-02-02/"

# Parameter groups by (account, region), then by name: {"family", "description",
# "parameters": {name: value}}.
_PARAMETER_GROUPS = {}


class _Fault(Exception):
    """An ElastiCache error answer: its code, HTTP status and message."""

    def __init__(self, code, status, message):
        super().__init__(message)
        self.code, self.status, self.message = code, status, message


def _xml(text):
    from xml.sax.saxutils import escape

    return escape(str(text))


def _elasticache_scope(environ):
    """(account, region) of a signed request: the region from the credential scope, the
    account as moto derives it from the access key."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.iam.models import get_account_id_from

    region, account = "us-east-1", DEFAULT_ACCOUNT_ID
    found = re.search(r"Credential=([^/,\s]+)/[^/]+/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
    if found:
        account, region = get_account_id_from(found.group(1)), found.group(2)
    return account, region


def _members(form, prefix):
    """The `prefix.N.<field>` entries of a query-protocol list, as dicts in N order."""
    items = {}
    for key, values in form.items():
        if key.startswith(prefix + "."):
            rest = key[len(prefix) + 1 :].split(".", 1)
            if rest[0].isdigit():
                field = rest[1] if len(rest) > 1 else ""
                items.setdefault(int(rest[0]), {})[field] = values[0]
    return [items[n] for n in sorted(items)]


def _required(form, name):
    value = form.get(name, [""])[0]
    if not value:
        raise _Fault("InvalidParameterValue", "400 Bad Request", f"The parameter {name} must be provided.")
    return value


def _parameter_group_xml(name, group, arn):
    return (
        "<CacheParameterGroup>"
        f"<CacheParameterGroupName>{_xml(name)}</CacheParameterGroupName>"
        f"<CacheParameterGroupFamily>{_xml(group['family'])}</CacheParameterGroupFamily>"
        f"<Description>{_xml(group['description'])}</Description>"
        "<IsGlobal>false</IsGlobal>"
        f"<ARN>{_xml(arn)}</ARN>"
        "</CacheParameterGroup>"
    )


def _zone(subnet):
    """The zone name of one of moto's subnet entries (a name, or {"Name": ...})."""
    zone = subnet.get("subnet_availability_zone") or subnet.get("Subnet_availability_zone") or ""
    return zone.get("Name", "") if isinstance(zone, dict) else zone


def _subnet_group_xml(group):
    subnets = "".join(
        "<Subnet>"
        f"<SubnetIdentifier>{_xml(s.get('subnet_identifier', ''))}</SubnetIdentifier>"
        f"<SubnetAvailabilityZone><Name>{_xml(_zone(s))}</Name></SubnetAvailabilityZone>"
        "</Subnet>"
        for s in group.subnets
    )
    return (
        "<CacheSubnetGroup>"
        f"<CacheSubnetGroupName>{_xml(group.cache_subnet_group_name)}</CacheSubnetGroupName>"
        f"<CacheSubnetGroupDescription>{_xml(group.cache_subnet_group_description)}</CacheSubnetGroupDescription>"
        f"<VpcId>{_xml(group.vpc_id or '')}</VpcId>"
        f"<Subnets>{subnets}</Subnets>"
        f"<ARN>{_xml(group.arn)}</ARN>"
        "</CacheSubnetGroup>"
    )


def _elasticache_action(action, form, account, region):
    """The Result element's content for `action`, or None when moto answers it."""
    from moto.elasticache.models import CacheSubnetGroup, elasticache_backends

    groups = _PARAMETER_GROUPS.setdefault((account, region), {})
    arn = lambda name: f"arn:aws:elasticache:{region}:{account}:parametergroup:{name}"

    def group_named(name):
        if name not in groups:
            raise _Fault("CacheParameterGroupNotFound", "404 Not Found", f"CacheParameterGroup {name} not found.")
        return groups[name]

    if action in ("DeleteCacheSubnetGroup", "ModifyCacheSubnetGroup"):
        backend = elasticache_backends[account][region]
        name = _required(form, "CacheSubnetGroupName")
        if name not in backend.cache_subnet_groups:
            raise _Fault("CacheSubnetGroupNotFoundFault", "400 Bad Request", f"CacheSubnetGroup {name} not found.")
        old = backend.cache_subnet_groups[name]
        if action == "DeleteCacheSubnetGroup":
            users = [g for g in backend.replication_groups.values() if g.cache_subnet_group_name == name and g.status != "deleting"]
            if users:
                raise _Fault("CacheSubnetGroupInUse", "400 Bad Request", f"Cache subnet group {name} is currently in use by a cache cluster.")
            del backend.cache_subnet_groups[name]
            backend.tagging_service.delete_all_tags_for_resource(old.arn)
            return ""
        listed = _members(form, "SubnetIds.SubnetIdentifier") or _members(form, "SubnetIds.member")
        subnet_ids = [m[""] for m in listed] or list(old.subnet_ids)
        new = CacheSubnetGroup(
            account_id=account,
            region_name=region,
            cache_subnet_group_name=name,
            cache_subnet_group_description=form.get("CacheSubnetGroupDescription", [old.cache_subnet_group_description])[0],
            subnet_ids=subnet_ids,
            tags=old.tags,
        )
        backend.cache_subnet_groups[name] = new
        return _subnet_group_xml(new)
    if action == "CreateCacheParameterGroup":
        name = _required(form, "CacheParameterGroupName")
        if name in groups:
            raise _Fault("CacheParameterGroupAlreadyExists", "400 Bad Request", f"Parameter group {name} already exists.")
        groups[name] = {
            "family": _required(form, "CacheParameterGroupFamily"),
            "description": _required(form, "Description"),
            "parameters": {},
        }
        return _parameter_group_xml(name, groups[name], arn(name))
    if action == "DescribeCacheParameterGroups":
        name = form.get("CacheParameterGroupName", [""])[0]
        named = {name: group_named(name)} if name else groups
        listed = "".join(_parameter_group_xml(n, g, arn(n)) for n, g in sorted(named.items()))
        return f"<CacheParameterGroups>{listed}</CacheParameterGroups>"
    if action in ("ModifyCacheParameterGroup", "ResetCacheParameterGroup"):
        name = _required(form, "CacheParameterGroupName")
        group = group_named(name)
        pairs = _members(form, "ParameterNameValues.ParameterNameValue") or _members(form, "ParameterNameValues.member")
        if action == "ModifyCacheParameterGroup":
            if not pairs or len(pairs) > 20:
                raise _Fault("InvalidParameterValue", "400 Bad Request", "Between 1 and 20 parameters may be modified per request.")
            for p in pairs:
                group["parameters"][p.get("ParameterName", "")] = p.get("ParameterValue", "")
        elif form.get("ResetAllParameters", ["false"])[0].lower() == "true":
            group["parameters"].clear()
        else:
            for p in pairs:
                group["parameters"].pop(p.get("ParameterName", ""), None)
        return f"<CacheParameterGroupName>{_xml(name)}</CacheParameterGroupName>"
    if action == "DescribeCacheParameters":
        group = group_named(_required(form, "CacheParameterGroupName"))
        listed = "".join(
            "<Parameter>"
            f"<ParameterName>{_xml(k)}</ParameterName>"
            f"<ParameterValue>{_xml(v)}</ParameterValue>"
            "<Source>user</Source><DataType>string</DataType><IsModifiable>true</IsModifiable>"
            "<ChangeType>immediate</ChangeType>"
            "</Parameter>"
            for k, v in sorted(group["parameters"].items())
        )
        return f"<Parameters>{listed}</Parameters><CacheNodeTypeSpecificParameters/>"
    if action == "DeleteCacheParameterGroup":
        name = _required(form, "CacheParameterGroupName")
        group_named(name)
        del groups[name]
        return ""
    return None


_ELASTICACHE_ACTIONS = {
    "DeleteCacheSubnetGroup",
    "ModifyCacheSubnetGroup",
    "CreateCacheParameterGroup",
    "DescribeCacheParameterGroups",
    "ModifyCacheParameterGroup",
    "ResetCacheParameterGroup",
    "DescribeCacheParameters",
    "DeleteCacheParameterGroup",
}


def _with_elasticache_extras(self, environ, start_response):
    from urllib.parse import parse_qs

    path = environ.get("PATH_INFO", "")
    if path.startswith("/moto-api/reset") and environ.get("REQUEST_METHOD") == "POST":
        _PARAMETER_GROUPS.clear()
    form = {}
    if environ.get("REQUEST_METHOD") == "POST" and environ.get("CONTENT_TYPE", "").startswith(
        "application/x-www-form-urlencoded"
    ):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    action = form.get("Action", [""])[0]
    if form.get("Version", [""])[0] != _ELASTICACHE_VERSION:
        return _renaming_s3_roots(self, environ, start_response)
    if action == "DeleteReplicationGroup":
        return _deleting_replication_group(self, environ, start_response, form)
    if action == "CreateReplicationGroup":
        clusters = form.get("NumCacheClusters", [""])[0]
        if clusters.isdigit() and int(clusters) > 1 and "ReplicasPerNodeGroup" not in form:
            body = environ["wsgi.input"].read() + f"&ReplicasPerNodeGroup={int(clusters) - 1}".encode()
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return _renaming_s3_roots(self, environ, start_response)
    if action not in _ELASTICACHE_ACTIONS:
        return _renaming_s3_roots(self, environ, start_response)
    import uuid

    request_id = str(uuid.uuid4())
    account, region = _elasticache_scope(environ)
    try:
        with self.lock:
            result = _elasticache_action(action, form, account, region)
        status = "200 OK"
        inner = "" if result == "" else f"<{action}Result>{result}</{action}Result>"
        body = (
            f'<{action}Response xmlns="{_ELASTICACHE_XMLNS}">{inner}'
            f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
        )
    except _Fault as fault:
        status = fault.status
        body = (
            f'<ErrorResponse xmlns="{_ELASTICACHE_XMLNS}"><Error><Type>Sender</Type>'
            f"<Code>{_xml(fault.code)}</Code><Message>{_xml(fault.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        )
    raw = body.encode()
    start_response(status, [("Content-Type", "text/xml"), ("Content-Length", str(len(raw))), ("x-amzn-RequestId", request_id)])
    return [raw]


def _deleting_replication_group(self, environ, start_response, form):
    """moto's DeleteReplicationGroup, with the final snapshot taken before it and the group
    gone once moto has answered (see the module docs)."""
    from moto.elasticache.models import elasticache_backends

    account, region = _elasticache_scope(environ)
    backend = elasticache_backends[account][region]
    group_id = form.get("ReplicationGroupId", [""])[0]
    snapshot = form.get("FinalSnapshotIdentifier", [""])[0]
    group = backend.replication_groups.get(group_id)
    if group is not None and group.status != "deleting" and snapshot and snapshot not in backend.snapshots:
        backend.create_snapshot(
            snapshot_name=snapshot, replication_group_id=group_id, cache_cluster_id=None, kms_key_id=None, tags=None
        )
    answered = {}

    def capture(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, headers
        return lambda chunk: None

    body = b"".join(_renaming_s3_roots(self, environ, capture))
    status = answered.get("status", "500 Internal Server Error")
    if status.startswith("200"):
        backend.replication_groups.pop(group_id, None)
    start_response(status, answered.get("headers", []))
    return [body]


DomainDispatcherApplication.__call__ = _with_elasticache_extras

if __name__ == "__main__":
    from moto.server import main

    main(sys.argv[1:])
