"""The use cases of the production line: the only layer that combines storage and logic.

Each public function owns its transaction: it validates everything first, then writes in one
transaction, so bad input writes nothing and a partial batch never half-lands.
"""
