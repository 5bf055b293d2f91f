"""Thin Celery tasks of the campaigns app: each calls one idempotent service.

acks_late (settings) delivers a task again when its worker dies: advancing by
date re-reads every campaign's state under its row lock, and a transition's
e-mail at worst goes twice, never zero times. The mail server unreachable is
retried, spaced out with jitter.
"""

from celery import shared_task

from trousse.tasks_dispatch import EMAIL_JOB_OPTIONS, DispatchSafeTask


@shared_task(
    name="trousse.campaigns.tasks.campaigns_advance_by_date",
    base=DispatchSafeTask,
    acks_late=True,
    # Beat runs it again in five minutes anyway: a short retry only.
    autoretry_for=(OSError,),
    retry_backoff=30,
    retry_jitter=True,
    max_retries=2,
)
def campaigns_advance_by_date() -> dict[str, int]:
    from .services import campaigns_advance_by_date as advance

    return advance()


@shared_task(name="trousse.campaigns.tasks.campaign_notify_transition", **EMAIL_JOB_OPTIONS)
def campaign_notify_transition(transition_id: int) -> int:
    from .emails import campaign_transition_email_send

    return campaign_transition_email_send(transition_id=transition_id)


@shared_task(name="trousse.campaigns.tasks.campaign_notify_revision", **EMAIL_JOB_OPTIONS)
def campaign_notify_revision(revision_id: int, state: str, message: str = "") -> int:
    from .emails import campaign_revision_email_send

    return campaign_revision_email_send(revision_id=revision_id, state=state, message=message)
