// Intentionally empty: the shim is header-only.
