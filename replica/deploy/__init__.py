"""The runbook's flows after the gate: push to deploy (remote, deploy) and guarded promotion."""
