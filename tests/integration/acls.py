"""Adding and removing ACLs on the test broker, as its PLAINTEXT super user (what an operator
does with kafka-acls.sh). aiokafka has the CreateAcls and DeleteAcls requests but no admin calls."""

from __future__ import annotations

from typing import Any, Iterable

from aiokafka import AIOKafkaClient
from aiokafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest

from streams.access import OPERATIONS, Grant

_RESOURCE = {"Topic": 2, "Group": 3, "TransactionalId": 5}
_PATTERN = {"literal": 3, "prefixed": 4}
_ALLOW = 3


def _entries(principal: str, grants: Iterable[Grant]) -> list[tuple[int, str, int, str, str, int, int]]:
    return [
        (_RESOURCE[g.resource], g.name, _PATTERN[g.pattern], principal, "*", OPERATIONS[op], _ALLOW)
        for g in grants
        for op in g.operations
    ]


async def _each(admin_bootstrap: str, requests: list[Any]) -> None:
    client = AIOKafkaClient(bootstrap_servers=admin_bootstrap)
    await client.bootstrap()
    try:
        for request in requests:
            response: Any = await client.send(client.get_random_node(), request)
            results = getattr(response, "creation_responses", None) or getattr(response, "filter_responses")
            for result in results:
                assert result[0] == 0, f"ACL request refused: {result}"
    finally:
        await client.close()


async def allow(admin_bootstrap: str, principal: str, grants: Iterable[Grant]) -> None:
    await _each(admin_bootstrap, [CreateAclsRequest(*e) for e in _entries(principal, grants)])


async def revoke(admin_bootstrap: str, principal: str, grants: Iterable[Grant]) -> None:
    await _each(admin_bootstrap, [DeleteAclsRequest(*e) for e in _entries(principal, grants)])
