"""The complaint desk: open tickets, deadlines, lot tracing, evidence packs, signals."""
