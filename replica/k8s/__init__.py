"""Kubernetes renderings of the replica (k6-operator TestRuns of the gate's k6 suites)."""
