"""The page after login: what needs attention, the steps to a first exchange, latest failures.

This app sits below the others (DESIGN.md), so it cannot import them: each app registers what
it knows in its AppConfig.ready() (partnerships and certificates do; TrackLog registers its
failures the same way once messages flow). With no source registered, a part is simply empty.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from serverless_as2.models import Tenant


class Level(StrEnum):
    """How urgent an item is; the page shows it as a word and an icon, not colour alone."""

    PROBLEM = "problem"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True)
class Attention:
    """One thing that needs the user's attention, with the page where it is fixed."""

    level: Level
    text: str
    url: str
    action: str  # the link's words: "Open the certificate", "Create a certificate"


@dataclass(frozen=True)
class SetupStep:
    """One step towards the tenant's first exchange."""

    order: int
    text: str
    url: str
    done: bool


@dataclass(frozen=True)
class Failure:
    """A failed message, as TrackLog reports it."""

    message_id: str
    partnership: str
    status: str
    error: str
    when: datetime
    url: str


type AttentionSource = Callable[..., list[Attention]]
type StepSource = Callable[..., list[SetupStep]]
type FailureSource = Callable[..., list[Failure]]

_attention_sources: list[AttentionSource] = []
_step_sources: list[StepSource] = []
_failure_sources: list[FailureSource] = []


def _register[S](sources: list[S], source: S) -> S:
    if source not in sources:
        sources.append(source)
    return source


def attention_source_register(source: AttentionSource) -> AttentionSource:
    """Add a function `source(*, tenant) -> list[Attention]` to the page."""
    return _register(_attention_sources, source)


def setup_step_source_register(source: StepSource) -> StepSource:
    """Add a function `source(*, tenant) -> list[SetupStep]` to the first-exchange steps."""
    return _register(_step_sources, source)


def failure_source_register(source: FailureSource) -> FailureSource:
    """Add a function `source(*, tenant, limit) -> list[Failure]` (newest first)."""
    return _register(_failure_sources, source)


_LEVEL_ORDER = {Level.PROBLEM: 0, Level.WARNING: 1, Level.NOTE: 2}


def attention_list(*, tenant: Tenant) -> list[Attention]:
    """Everything that needs attention, problems first."""
    found = [item for source in _attention_sources for item in source(tenant=tenant)]
    return sorted(found, key=lambda item: _LEVEL_ORDER[item.level])


def setup_steps(*, tenant: Tenant) -> list[SetupStep]:
    """The steps to a first exchange, in order, each saying whether it is done."""
    return sorted(
        (step for source in _step_sources for step in source(tenant=tenant)),
        key=lambda step: step.order,
    )


def latest_failures(*, tenant: Tenant, limit: int = 5) -> list[Failure]:
    """The latest failed messages, newest first; [] until TrackLog registers its source."""
    found = [row for source in _failure_sources for row in source(tenant=tenant, limit=limit)]
    return sorted(found, key=lambda row: row.when, reverse=True)[:limit]
