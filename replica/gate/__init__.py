"""The pre-push gate: smoke suite, k6 suites, baselines and the validation checklist."""
