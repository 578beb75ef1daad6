"""Source events: a push becomes one event per source, processed once per affected space (docs/events.md)."""
