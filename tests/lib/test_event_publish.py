"""Publishing a logged event (``salon.lib.events.publish``): after commit, every recipient's log and live channel get
it in ONE Valkey round trip (valkey-py's own script call in a pipeline sent ``SCRIPT EXISTS`` first: two)."""

from __future__ import annotations

import uuid
from typing import Any

from tests.helpers import ValkeyLog


async def _publish_refetch(recipients: list[str]) -> None:
    from salon.lib import db, events
    from salon.realtime.events import Refetch

    async with db.unit_of_work():
        await events.publish("refetch", Refetch(), recipients)


async def _logged(recipients: list[str]) -> dict[str, list[str]]:
    from salon.lib import events, valkey

    return {
        user: [fields["event"] for _, fields in await valkey.client().xrange(events.user_log_key(user))]
        for user in recipients
    }


async def test_a_logged_event_reaches_all_recipients_in_one_round_trip(app: Any, valkey_log: ValkeyLog) -> None:
    recipients = [str(uuid.uuid4()) for _ in range(3)]
    await _publish_refetch([str(uuid.uuid4())])  # the script is loaded

    with valkey_log.measuring():
        await _publish_refetch(recipients)

    assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 3]
    assert await _logged(recipients) == {user: ["refetch"] for user in recipients}


async def test_a_script_the_server_lost_is_loaded_again(app: Any, valkey_log: ValkeyLog) -> None:
    from salon.lib import valkey

    recipients = [str(uuid.uuid4()) for _ in range(2)]
    await _publish_refetch([str(uuid.uuid4())])
    await valkey.client().script_flush()

    with valkey_log.measuring():
        await _publish_refetch(recipients)

    assert [names for _, names in valkey_log.trips] == [["EVALSHA"] * 2, ["SCRIPT"], ["EVALSHA"] * 2]
    assert await _logged(recipients) == {user: ["refetch"] for user in recipients}
