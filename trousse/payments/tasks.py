"""Thin Celery tasks: each calls one service. Dispatched with delay_on_commit."""

from celery import shared_task

from . import services

@shared_task(name="trousse.payments.tasks.donation_confirmation_send")
def donation_confirmation_send(donation_id: int) -> bool:
    return services.donation_confirmation_email_send(donation_id=donation_id)


@shared_task(name="trousse.payments.tasks.refund_notice_send")
def refund_notice_send(refund_id: int) -> bool:
    return services.refund_notice_email_send(refund_id=refund_id)


@shared_task(name="trousse.payments.tasks.refund_process")
def refund_process(refund_id: int) -> str:
    return services.refund_process(refund_id=refund_id).status


@shared_task(name="trousse.payments.tasks.campaign_refund_all")
def campaign_refund_all(campaign_id: int) -> dict:
    return services.campaign_refund_all(campaign_id=campaign_id)


@shared_task(name="trousse.payments.tasks.campaign_end_if_optimum_reached")
def campaign_end_if_optimum_reached(campaign_id: int) -> bool:
    return services.campaign_end_if_optimum_reached(campaign_id=campaign_id)


@shared_task(name="trousse.payments.tasks.donations_reconcile")
def donations_reconcile() -> dict:
    return services.donations_reconcile()
