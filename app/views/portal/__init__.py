"""Customer pages (the 'portal'). Thin: parse the request, call a service with
`current_account_id()`, render or redirect."""
