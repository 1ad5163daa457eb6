"""Vendor-compatible APIs over Datafab's own projects, items, records and webhooks: one
package per vendor (``scale``), each an integration that subscribes to the outbox's events
it acts on and is imported by ``datafab.integrations``."""
