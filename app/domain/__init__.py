"""Pure rules: no Flask, no database. Each function takes plain values."""
