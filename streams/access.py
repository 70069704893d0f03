"""The ACLs a copydesk principal needs on a broker with an authorizer, and a pre-flight check of
them when a worker starts.

Without the check a worker that lacks one permission does not stop: faust logs the broker's
authorization error and tries again, for ever. The check asks the broker what the principal may
do (Metadata v8's authorized operations per topic, DescribeGroups' for the consumer group, an
InitProducerId for a transactional id in exactly_once mode) and names every missing grant at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaClient, AIOKafkaProducer
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    TransactionalIdAuthorizationFailed,
)
from aiokafka.protocol.admin import DescribeGroupsResponse_v3
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import Array, Boolean, Int16, Int32, Schema, String

from streams.settings import Settings

#: Kafka's AclOperation codes: bit `1 << code` of an authorized-operations field.
OPERATIONS = {"Read": 3, "Write": 4, "Create": 5, "Describe": 8}
_TOPIC_AUTHORIZATION_FAILED = 29
_UNKNOWN_TOPIC = 3


class AccessDenied(RuntimeError):
    """The brokers refuse this principal something copydesk needs; the message names the grants."""


@dataclass(frozen=True, slots=True)
class Grant:
    """One ACL: allow `operations` on the resources of `resource` type named (or prefixed) `name`."""

    resource: str  # Topic, Group, TransactionalId
    name: str
    pattern: str  # prefixed or literal
    operations: tuple[str, ...]
    needed_for: str

    def describe(self) -> str:
        return f"{'+'.join(self.operations)} on {self.resource} {self.pattern} {self.name!r}"

    def kafka_acls(self, principal: str) -> str:
        """The `kafka-acls.sh` command that adds it."""
        flag = {"Topic": "--topic", "Group": "--group", "TransactionalId": "--transactional-id"}[self.resource]
        ops = " ".join(f"--operation {op}" for op in self.operations)
        return (
            f"kafka-acls.sh --bootstrap-server $BROKERS --command-config admin.properties --add "
            f"--allow-principal {principal} --resource-pattern-type {self.pattern} {flag} '{self.name}' {ops}"
        )


def topic_roles(settings: Settings) -> dict[str, set[str]]:
    """Each topic a worker uses -> what it does there (Read, Write)."""
    t = settings.topics
    roles: dict[str, set[str]] = {t.raw: {"Read"}}
    for name in [*t.internal(), *t.changelogs()]:
        roles[name] = {"Read", "Write"}
    for name in t.outputs().values():
        roles[name] = {"Write"}
    return roles


def grants(settings: Settings, *, create_topics: bool = False) -> list[Grant]:
    """The least a worker's principal needs (and the CLI's: `produce` writes the input topic,
    `outputs` reads the outputs without a group, `replay-dead-letters` uses a group of its own
    under the app id). With `create_topics` the worker creates missing topics itself; without,
    an operator runs `copydesk topics create` first."""
    prefix = f"{settings.topic_prefix}."
    topic_ops = ("Read", "Write")
    out = [Grant("Topic", prefix, "prefixed", topic_ops, "the input, output, internal and changelog topics")]
    for name in sorted(n for n in topic_roles(settings) if not n.startswith(prefix)):
        ops = topic_ops + (("Create",) if create_topics else ())
        out.append(Grant("Topic", name, "literal", ops, "a topic renamed outside the prefix"))
    if create_topics:
        out.append(Grant("Topic", prefix, "prefixed", ("Create",), "creating missing topics at start"))
    out.append(Grant("Group", settings.app_id, "prefixed", ("Read",), "the workers' group and replay-dead-letters' groups"))
    if settings.processing_guarantee == "exactly_once":
        out.append(
            Grant("TransactionalId", f"{settings.app_id}-", "prefixed", ("Write",), "exactly_once's transactional producers")
        )
    return out


class _MetadataResponseV8(Response):
    API_KEY = 3
    API_VERSION = 8
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("brokers", Array(("node_id", Int32), ("host", String("utf-8")), ("port", Int32), ("rack", String("utf-8")))),
        ("cluster_id", String("utf-8")),
        ("controller_id", Int32),
        (
            "topics",
            Array(
                ("error_code", Int16),
                ("topic", String("utf-8")),
                ("is_internal", Boolean),
                (
                    "partitions",
                    Array(
                        ("error_code", Int16),
                        ("partition", Int32),
                        ("leader", Int32),
                        ("leader_epoch", Int32),
                        ("replicas", Array(Int32)),
                        ("isr", Array(Int32)),
                        ("offline_replicas", Array(Int32)),
                    ),
                ),
                ("authorized_operations", Int32),
            ),
        ),
        ("cluster_authorized_operations", Int32),
    )


class _MetadataRequestV8(RequestStruct):
    API_KEY = 3
    API_VERSION = 8
    RESPONSE_TYPE = _MetadataResponseV8
    SCHEMA = Schema(
        ("topics", Array(String("utf-8"))),
        ("allow_auto_topic_creation", Boolean),
        ("include_cluster_authorized_operations", Boolean),
        ("include_topic_authorized_operations", Boolean),
    )


class _TopicOperations(Request[_MetadataRequestV8]):
    """Metadata of some topics with what the principal may do on each (aiokafka speaks v5 at most,
    which has no authorized operations)."""

    API_KEY = 3

    def __init__(self, topics: list[str]) -> None:
        self._topics = topics

    def build(self, request_struct_class: type[_MetadataRequestV8]) -> _MetadataRequestV8:
        return request_struct_class(self._topics, False, False, True)


class _DescribeGroupsRequestV3(RequestStruct):
    API_KEY = 15
    API_VERSION = 3
    RESPONSE_TYPE = DescribeGroupsResponse_v3  # aiokafka's own v3 request reads the answer as v2's
    SCHEMA = Schema(("groups", Array(String("utf-8"))), ("include_authorized_operations", Boolean))


class _GroupOperations(Request[_DescribeGroupsRequestV3]):
    """A group's state with what the principal may do on it."""

    API_KEY = 15

    def __init__(self, group: str) -> None:
        self._group = group

    def build(self, request_struct_class: type[_DescribeGroupsRequestV3]) -> _DescribeGroupsRequestV3:
        return request_struct_class([self._group], True)


def _allowed(bits: int, operation: str) -> bool:
    return bool(bits & (1 << OPERATIONS[operation]))


async def check_worker(settings: Settings, timeout_s: float = 15.0) -> None:
    """Raise `AccessDenied` naming every grant a worker with these settings lacks (topics, group,
    transactional ids); return quietly when it has them all. Topics must exist (`ensure_topics`)."""
    from streams.kafka_io import client_options, start

    missing: list[str] = []
    roles = topic_roles(settings)
    client = AIOKafkaClient(request_timeout_ms=int(timeout_s * 1000), **client_options(settings))
    await start(client, settings)
    try:
        response: Any = await client.send(client.get_random_node(), _TopicOperations(sorted(roles)))
        lacking: dict[str, list[str]] = {}
        absent = []
        for topic in response.topics:
            code, name, bits = topic[0], topic[1], topic[4]
            if code == _UNKNOWN_TOPIC:
                absent.append(name)
                continue
            for op in sorted(roles[name]):
                if code == _TOPIC_AUTHORIZATION_FAILED or not _allowed(bits, op):
                    lacking.setdefault(op, []).append(name)
        missing.extend(f"{op} on Topic {', '.join(sorted(names))}" for op, names in sorted(lacking.items()))
        if absent:
            missing.append(f"topics {', '.join(sorted(absent))} do not exist (`copydesk topics create` makes them)")
        missing.extend(await _check_group(client, settings))
    finally:
        await client.close()
    if settings.processing_guarantee == "exactly_once":
        missing.extend(await _check_transactional_id(settings, timeout_s))
    if missing:
        raise AccessDenied(
            "the brokers refuse this principal what a copydesk worker needs: "
            + "; ".join(missing)
            + ". See the README's ACL table (Connecting to a managed Kafka)"
        )


async def _check_group(client: AIOKafkaClient, settings: Settings) -> list[str]:
    from aiokafka.protocol.coordination import FindCoordinatorRequest

    group = settings.app_id
    found: Any = await client.send(client.get_random_node(), FindCoordinatorRequest(group, 0))
    if found.error_code == GroupAuthorizationFailedError.errno:
        return [f"Read on Group {group!r}"]
    coordinator = found.coordinator_id if found.error_code == 0 else client.get_random_node()
    described: Any = await client.send(coordinator, _GroupOperations(group))
    (entry,) = described.groups
    code, bits = entry[0], entry[-1]
    if code == GroupAuthorizationFailedError.errno or (code == 0 and not _allowed(bits, "Read")):
        return [f"Read on Group {group!r}"]
    return []


async def _check_transactional_id(settings: Settings, timeout_s: float) -> list[str]:
    """exactly_once's producers use transactional ids `<app id>-<group>-<partition>`: ask for a
    producer id under the same prefix (a transactional id of its own that no worker uses)."""
    from streams.kafka_io import client_options

    tid = f"{settings.app_id}-preflight"
    producer = AIOKafkaProducer(transactional_id=tid, request_timeout_ms=int(timeout_s * 1000), **client_options(settings))
    try:
        await producer.start()
    except TransactionalIdAuthorizationFailed:
        return [f"Write on TransactionalId {tid!r} (prefix {settings.app_id + '-'!r})"]
    finally:
        await producer.stop()
    return []
