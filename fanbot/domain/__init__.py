"""The domain model and the rules about local circuit time."""
