"""What every capability uses: the unit of work, paging, stored files, spreadsheets,
mail, the audit log, idempotency keys, the review state machine, phone verification
and the service's own messages. Imports nothing from the capabilities above it."""
