"""mina-staging: the tooling that runs a local replica of Mina's staging environment."""
