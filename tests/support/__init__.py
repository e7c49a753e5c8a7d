"""Helpers shared by tests and benchmarks: real servers (Redis, PostgreSQL), app and
database setup, logins, and the cross-tenant check."""
