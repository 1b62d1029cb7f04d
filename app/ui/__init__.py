"""Qt widgets that render the supervisor's state and send it intents."""
