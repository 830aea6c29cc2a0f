"""Salesflow: sales-process management that turns a manager's rules into verifiable action flows."""
