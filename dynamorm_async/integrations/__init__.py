"""Integrations with web frameworks, each behind its own extra (``pip install dynamorm_async[fastapi]``).

Nothing is imported here: import the framework module you use, e.g.
``from dynamorm_async.integrations.fastapi import DynamORM``.
"""
