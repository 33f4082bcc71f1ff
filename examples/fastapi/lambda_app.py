"""The order service of ``app.py`` on AWS Lambda, behind API Gateway or a function URL, via Mangum.

Handler: ``lambda_app.handler`` (ship ``app.py`` beside this file).
"""

from __future__ import annotations

import asyncio

from app import app, orm
from mangum import Mangum

from dynamorm_async.integrations.fastapi import LambdaDeadline

# Mangum would run the app's startup and shutdown around every invocation, closing the client
# pool each time; so its lifespan is off, and the DB starts here, in the init phase, instead.
# LambdaDeadline answers 503 (and sends nothing more) when the invocation is about to time out.
handler = Mangum(LambdaDeadline(app), lifespan="off")

# Mangum runs every invocation on this thread's event loop: the client made on it now (compiled
# models, credentials, connection pool) serves every warm invocation after.
asyncio.get_event_loop().run_until_complete(orm.startup())
