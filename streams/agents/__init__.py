"""The agents of the chain. `register(bundle)` attaches them to a bundle's faust app."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.app import Copydesk


def register(bundle: Copydesk) -> None:
    from streams.agents import chain, maintenance

    chain.register(bundle)
    maintenance.register(bundle)
