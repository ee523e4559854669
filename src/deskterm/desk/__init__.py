"""The use cases of the desk: every change is one transaction with its audit event.

Screens and the command line call these functions only; no SQL, session handling
or SLA arithmetic lives in a front end.
"""
