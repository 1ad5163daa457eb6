"""Curation: auditing the labels a project already has (``audit``, ``review``), choosing
what to label next (``selection``), and running audits as jobs (``runs``)."""
