"""Django tasks on Lambda: each enqueued task is an asynchronous invocation of this function.

Set `TASKS = {"default": {"BACKEND": "serverless_as2.lambda_tasks.LambdaBackend"}}` on Lambda
(zappa_settings.json does, through SAS2_TASKS_BACKEND). `enqueue` sends Zappa's `command` event
(`{"command": "serverless_as2.lambda_tasks.task_run", ...}`) with InvocationType=Event; Zappa's
handler runs `task_run` in another invocation, so the request that enqueued returns at once. A
task whose invocation is refused or lost is not retried here: the background work is found from
the database by the one-minute schedule (lambda_events.run_due_work), which catches it.

This is the invocation Zappa's own `@task` (async_source "lambda") makes, with Django's task
API in front: the code enqueues the same `django.tasks` tasks on one machine (django-tasks-db's
worker) and on Lambda, instead of a second, Zappa-only way to start work.
"""

import json
import logging
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.tasks.backends.base import BaseTaskBackend
from django.tasks.base import TaskResult, TaskResultStatus
from django.utils.crypto import get_random_string
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)

TASK_RUNNER = "serverless_as2.lambda_tasks.task_run"


class LambdaBackend(BaseTaskBackend):
    """Enqueue = invoke this Lambda function asynchronously with the task's path and arguments."""

    supports_defer = False  # run_after: the one-minute schedule does delayed work
    supports_get_result = False

    def enqueue(self, task, args, kwargs) -> TaskResult:
        self.validate_task(task)
        result = TaskResult(
            task=task,
            id=get_random_string(32),
            status=TaskResultStatus.READY,
            enqueued_at=None,
            started_at=None,
            last_attempted_at=None,
            finished_at=None,
            args=args,
            kwargs=kwargs,
            backend=self.alias,
            errors=[],
            worker_ids=[],
        )
        event = {
            "command": TASK_RUNNER,
            "task": task.module_path,
            "task_id": result.id,
            "args": result.args,
            "kwargs": result.kwargs,
        }
        # TaskResult has already refused arguments that are not JSON.
        self._invoke(json.dumps(event).encode(), task.module_path)
        return result

    def _invoke(self, payload: bytes, task_path: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        function_name = self.options.get("function_name") or settings.LAMBDA_FUNCTION_NAME
        if not function_name:
            raise ImproperlyConfigured(
                "LambdaBackend runs tasks on Lambda only: AWS_LAMBDA_FUNCTION_NAME is not set."
            )
        client = _lambda_client(self.options.get("endpoint_url"), settings.AWS_REGION_NAME)
        try:
            client.invoke(FunctionName=function_name, InvocationType="Event", Payload=payload)
        except (BotoCoreError, ClientError) as error:
            # Not fatal: the one-minute schedule finds the work in the database.
            logger.warning(
                "Task %s was not handed to Lambda (%s); the one-minute schedule will do the work.",
                task_path,
                error,
            )


def task_run(event: dict[str, Any], context: Any = None) -> dict[str, object]:
    """Run one enqueued task: what Zappa's handler calls for a LambdaBackend invocation."""
    task = import_string(event["task"])
    task.call(*event.get("args", []), **event.get("kwargs", {}))
    return {"task": event["task"], "task_id": event.get("task_id"), "ran": True}


@cache
def _lambda_client(endpoint_url: str | None, region: str) -> Any:
    import boto3

    return boto3.client("lambda", endpoint_url=endpoint_url, region_name=region)
