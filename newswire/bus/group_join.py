"""A mend for kafka-python 3.0's group join, applied once when the Kafka bus is imported.

kafka-python 3.0 runs a group's JoinGroup -> SyncGroup round trip as a task on its IO thread and
lets ``poll(timeout)`` return while the task is still in flight, to await the same task on the
next poll. Two things lose a join that finishes between two polls:

* ``need_rejoin()`` can turn false while the task is in flight. A rejoin asked for by a metadata
  change (the member joined before it saw the topic's partitions, which is how every fresh
  replica starts) is not remembered in ``rejoin_needed``; the leader's assignment records the
  new metadata, so the next poll sees nothing to do and never takes the task's result. The
  member then holds no partitions, sends no heartbeats, and stays so: a poller that never polls
  a feed, a worker that never reads its partition.
* A task found finished is replaced by a new JoinGroup instead of being read, so a member
  polling with a short timeout (``poll(0)``) starts rebalance after rebalance and never joins.

The Java client counts a pending join as a reason to poll the group (``rejoinNeededOrPending``)
and reads a finished join's result; this module makes kafka-python do both. It touches the
library's private members, so it applies only to the versions it was written against and
checks that those members exist; ``tests/newswire/test_kafka_group_join.py`` holds the
behaviour against the real broker.
"""

from __future__ import annotations

import logging
from typing import Any

import kafka
from kafka.coordinator.base import BaseCoordinator, MemberState
from kafka.coordinator.consumer import ConsumerCoordinator

log = logging.getLogger(__name__)

#: kafka-python releases whose group join this mends (the 3.0 series, as of 3.0.12).
MENDED_SERIES = "3.0."

_mended = False


def mend_group_join() -> bool:
    """Apply the mend once; False when this kafka-python is not a version it was written for."""
    global _mended  # noqa: PLW0603 -- patched once per process, like the library's own classes
    if _mended:
        return True
    version = str(getattr(kafka, "__version__", ""))
    if not version.startswith(MENDED_SERIES) or not hasattr(BaseCoordinator, "join_group_async"):
        log.warning("kafka-python group join not mended", extra={"version": version})
        return False
    need_rejoin = ConsumerCoordinator.need_rejoin
    join_group_async = BaseCoordinator.join_group_async

    def need_rejoin_or_pending(self: Any) -> bool:
        return bool(need_rejoin(self)) or getattr(self, "_join_task", None) is not None

    async def join_group_reading_a_finished_join(self: Any, timeout_ms: Any = None) -> Any:
        task = getattr(self, "_join_task", None)
        if task is not None and task.succeeded():
            # The join finished between two polls: complete it as kafka-python does after
            # awaiting it (base.py, ``join_group_async``), instead of joining again.
            self._join_task = None
            with self._lock:
                self.rejoining = False
                self.rejoin_needed = False
                self.state = MemberState.STABLE
                self._enable_heartbeat()
            await self._on_join_complete_async(
                self._generation.generation_id,
                self._generation.member_id,
                self._generation.protocol,
                task.value,
            )
            return True
        # In flight (awaited again), failed (its error was applied when its response came:
        # the library retries), or none: the library's own path.
        return await join_group_async(self, timeout_ms)

    ConsumerCoordinator.need_rejoin = need_rejoin_or_pending
    BaseCoordinator.join_group_async = join_group_reading_a_finished_join
    _mended = True
    return True
