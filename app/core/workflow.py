"""Workflows as transition tables.

Each workflow names the status attribute of its objects and lists its transitions: from which
states, to which state, who may take it (a predicate of ``app.core.permissions``), what must hold
(a guard returning the reason it does not, or None), and which ``*_at`` / ``*_by_id`` columns to
stamp. ``perform`` is the one way a status changes: it checks, stamps who and when, and writes the
audit event. Templates receive ``available(obj, user)`` — the actions to offer — and never compare
status strings.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

from app.core import audit
from app.core.db import utcnow
from app.core.errors import Forbidden, Refused

Guard = Callable[[Any], Any]


@dataclass(frozen=True)
class Transition:
    """One allowed change of status."""

    #: The action's name, e.g. ``submit``; unique in its workflow.
    name: str
    sources: frozenset[enum.Enum]
    target: enum.Enum
    #: Who may take it: ``predicate(user, obj)``.
    allowed: Callable[[Any, Any], bool]
    #: The button text offered to those who may take it.
    label: Any
    #: What must hold: each guard returns None, or the reason (shown to the user) it does not.
    guards: tuple[Guard, ...] = ()
    #: ``(when_attribute, who_attribute)`` to stamp, e.g. ``("submitted_at", "submitted_by_id")``.
    stamp: tuple[str | None, str | None] = (None, None)
    #: A question to confirm before taking it (for buttons), if any.
    confirm: Any = None


@dataclass
class Workflow:
    """The transitions of one kind of object (a cycle, an assessment, later a review or a need)."""

    #: The audit name of the object: events are ``<kind>.<past tense>``.
    kind: str
    status_attribute: str
    transitions: Iterable[Transition]
    #: Past tense used in audit events: action name -> event suffix.
    events: dict[str, str] = field(default_factory=dict)
    #: Status value -> (label, badge class): the words shown for each state.
    labels: dict[str, tuple[Any, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.transitions = tuple(self.transitions)
        names = [transition.name for transition in self.transitions]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate transition names in the {self.kind} workflow")
        self._by_name = {transition.name: transition for transition in self.transitions}

    def transition(self, name: str) -> Transition:
        """Return the transition called ``name``.

        :raises KeyError: for a name the workflow does not have.
        """
        return self._by_name[name]

    def status(self, obj: Any) -> enum.Enum:
        """Return the object's current status."""
        return getattr(obj, self.status_attribute)

    def refusal(
        self, obj: Any, name: str, user: Any, *, guards: bool = True
    ) -> Refused | Forbidden | None:
        """Return why ``user`` may not take ``name`` on ``obj`` now, or None when they may;
        ``guards=False`` checks only the status and the person (before preparing the step)."""
        transition = self._by_name.get(name)
        if transition is None:
            return Refused(_l("This action does not exist."))
        current = self.status(obj)
        if current not in transition.sources:
            return Refused(
                _l(
                    "This is not possible while the status is “%(status)s”.",
                    status=self.label(current),
                ),
                status_from=current.value,
                action=name,
            )
        if not transition.allowed(user, obj):
            return Forbidden(_l("You may not take this action."), action=name)
        for guard in transition.guards if guards else ():
            reason = guard(obj)
            if reason is not None:
                return Refused(reason, action=name)
        return None

    def label(self, status: enum.Enum) -> str:
        """Return the words for a status (its value when no label is known)."""
        return str(self.labels.get(status.value, (status.value, ""))[0])

    def available(self, obj: Any, user: Any) -> list[Transition]:
        """Return the transitions ``user`` may take on ``obj`` now, in table order."""
        return [t for t in self.transitions if self.refusal(obj, t.name, user) is None]

    def perform(self, obj: Any, name: str, user: Any, **context: Any) -> Transition:
        """Check and take a transition: set the status, stamp who and when, audit it.

        :param context: more facts for the audit event.
        :raises Refused: (409) when the status does not allow it or a guard fails, with the reason.
        :raises Forbidden: (403) when ``user`` may not take it.
        """
        problem = self.refusal(obj, name, user)
        if problem is not None:
            raise problem
        transition = self._by_name[name]
        before = self.status(obj)
        setattr(obj, self.status_attribute, transition.target)
        when, who = transition.stamp
        if when:
            setattr(obj, when, utcnow())
        if who:
            setattr(obj, who, getattr(user, "id", None))
        audit.record(
            f"{self.kind}.{self.events.get(name, name)}",
            actor=user,
            obj=obj,
            before={"status": before.value},
            after={"status": transition.target.value},
            **context,
        )
        return transition
