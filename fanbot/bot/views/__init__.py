"""Discord views: buttons under an answer (pages, "which one?", Confirm / Cancel, Remind me)."""
