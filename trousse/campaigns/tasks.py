"""Thin Celery tasks: each calls one service."""

from celery import shared_task


@shared_task(name="trousse.campaigns.tasks.campaigns_advance_by_date")
def campaigns_advance_by_date() -> dict[str, int]:
    from .services import campaigns_advance_by_date as advance

    return advance()


@shared_task(name="trousse.campaigns.tasks.campaign_notify_transition")
def campaign_notify_transition(transition_id: int) -> int:
    from .emails import campaign_transition_email_send

    return campaign_transition_email_send(transition_id=transition_id)
