"""Accounts and their logins (01-accounts.md): sign-up, members and invitations,
corporate conversion, API use and API keys, limits and suspension."""
