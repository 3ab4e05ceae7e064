"""Host-side throwaway services for tests: PostgreSQL 18 and Redis on loopback ports."""
