"""The production line's submit as one pipeline over a whole batch of answers.

``submit.store_answers`` runs the steps — validate → store → score gold → aggregate →
settle — each over the batch with set-based statements, and hands what happened
(``events.Answered``, ``events.Finished``) to the subscribers in ``subscribers``: pay and
the billing meter, the model ledger, the webhook outbox (and through it the Scale
callbacks). A subscriber does set-based work for the batch and nothing for an organization
that has no use for it.
"""
