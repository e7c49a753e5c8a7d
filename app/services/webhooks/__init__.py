"""Delivery webhooks (09-api.md API-06, on the Standard Webhooks specification): `outbox`
(events written where they happen), `endpoints` (an account's receivers), `delivery` (the
RQ jobs that sign and post them, the log and replay)."""
