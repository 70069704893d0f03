"""The agents of the chain. `register(bundle)` attaches them to a bundle's faust app, and the
enrichment loop (`streams.enricher`) as a task of it when this worker runs that role too."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streams.app import Copydesk


def register(bundle: Copydesk) -> None:
    from streams.agents import chain, maintenance

    chain.register(bundle)
    maintenance.register(bundle)
    if bundle.settings.runs_enrichment:
        from streams.enricher import Enricher

        enricher = Enricher(bundle.settings, bundle.metrics)

        @bundle.app.task
        async def enrichment() -> None:
            await enricher.run_forever()
