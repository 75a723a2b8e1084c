"""Notifications: who hears of what in a case's life (inbox, stream, webhooks)."""
