"""Operator, finance and admin pages."""
