"""Click commands: each parses options, calls one core function, renders. No logic of its own."""
