"""Everything that keeps llm-link running: launch contract, binary discovery, lifecycle, health.

Plain asyncio, no Qt: the supervisor publishes state and never draws.
"""
