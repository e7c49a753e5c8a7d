"""Delivery webhooks (09-api.md API-06). Empty until its issue."""
