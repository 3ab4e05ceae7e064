"""One module per command users type (`invoke staging.<command>`)."""
