"""Use cases. Each public function owns its transaction (see `uow.transaction`),
takes plain values (account_id, actor, now) and raises app.errors on refusal."""
