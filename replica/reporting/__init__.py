"""What the replica tells the team after a run: announcements (notify), history and metrics (history)."""
