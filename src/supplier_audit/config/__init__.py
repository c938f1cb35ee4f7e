"""Settings: one loader (loading), one merge and one hash (files), the typed sections (settings),
and the versions of every rule that shaped a night (versions)."""
