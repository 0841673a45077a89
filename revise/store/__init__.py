"""The review history in SQLite: connection, schema and migrations, and the queries.

`open_store(path)` gives a `Store` (a connection with the schema up to date); every failure a
person can cause — a locked, read-only, damaged or too new database — is a `StoreError` with a
one-line message, and the file is never overwritten.
"""

from revise.store.errors import StoreError
from revise.store.rows import ItemRow, ReviewRow, from_ms, to_ms
from revise.store.store import Store, open_store

__all__ = ["ItemRow", "ReviewRow", "Store", "StoreError", "from_ms", "open_store", "to_ms"]
