"""The base of every error a user causes and can fix.

A bad scenario, a malformed import, an unreadable file, a run over budget, an unreachable
scheduler: each module raises its own subclass with a message that names what is wrong
and where. Front ends (the CLI, the app) show that message and never a traceback; any
other exception is a bug in deploysim and keeps its traceback.
"""


class UserError(ValueError):
    """Something the user gave or asked for cannot be used; the message says what to change."""
