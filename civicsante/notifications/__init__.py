"""Notifications: the notification centre and the e-mails about the needs people follow.

The needs area writes the rows (``civicsante.needs.services.notify_followers``); this package
words them, counts and marks them read, e-mails them according to each person's choice and
handles the one-click unsubscribe.
"""
