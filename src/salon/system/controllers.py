from __future__ import annotations

from litestar import Controller, get
from litestar.response import Redirect

from salon.lib.errors import ServiceUnavailable
from salon.system import services
from salon.system.services import Readiness


class HealthController(Controller):
    tags = ["system"]
    include_in_schema = True

    @get("/health", operation_id="health", summary="Liveness: the process is up")
    async def health(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", operation_id="ready", summary="Readiness: Postgres and Valkey are reachable")
    async def ready(self) -> Readiness:
        """200 when both stores answer; 503 problem+json naming what is down otherwise."""
        state = await services.readiness()
        if not state.ready:
            down = [name for name in ("postgres", "valkey") if getattr(state, name) != "ok"]
            raise ServiceUnavailable(
                f"Not ready: {' and '.join(down)} {'is' if len(down) == 1 else 'are'} unreachable.",
                extra={"checks": {"postgres": state.postgres, "valkey": state.valkey}},
            )
        return state

    @get("/docs", operation_id="docs", include_in_schema=False)
    async def docs(self) -> Redirect:
        return Redirect(path="/schema/swagger")
