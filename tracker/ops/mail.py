"""E-mail sent outside the request, once.

Every message the site sends goes through `deliver`. (First form: the message is sent
when the current transaction commits; the queue with its worker replaces this.)"""

from django.core.mail import EmailMessage
from django.db import transaction


def deliver(message: EmailMessage, *, key: str) -> None:
    """Send `message` once the current transaction commits.

    `key` names the message uniquely (for example "follow:<subscription>:<publication>"):
    delivering the same key twice sends one message."""
    transaction.on_commit(message.send)
