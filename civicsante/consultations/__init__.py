"""Consultations: a facilitator asks a territory to collect, deliberate and vote on its health
priorities, publishes the results and follows each priority up in public (DESIGN.md §3.3)."""
