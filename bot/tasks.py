"""Stopping background tasks so that shutdown never hangs.

A task that is only `cancel()`ed keeps running until its next await; if the gateway
then disposes the database engine underneath it, the task can wait forever on a
connection that no longer exists and the event loop never closes (seen as a hung test
run). So every background task is cancelled *and awaited*, before what it uses goes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

log = logging.getLogger(__name__)
STOP_SECONDS = 10.0


async def stop_tasks(tasks: Iterable[asyncio.Future[Any] | None]) -> None:
    """Cancel the tasks and wait (bounded) until each has really finished."""
    pending = [task for task in tasks if task is not None and not task.done()]
    for task in pending:
        task.cancel()
    if not pending:
        return
    _, still_running = await asyncio.wait(pending, timeout=STOP_SECONDS)
    for task in still_running:
        log.error("background task %r did not stop within %.0f s", task, STOP_SECONDS)
