"""The package's public surface and its import cost."""

from __future__ import annotations

import subprocess
import sys

import dynamorm_async


def test_all_is_complete_and_sorted() -> None:
    public = {n for n in dir(dynamorm_async) if not n.startswith("_") and n[0].isupper()}
    assert public <= set(dynamorm_async.__all__) | {"TYPE_CHECKING"}
    names = [n for n in dynamorm_async.__all__ if n != "__version__"]
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    for name in dynamorm_async.__all__:
        assert getattr(dynamorm_async, name) is not None


def test_import_does_not_load_aws_sdk_or_http_stack() -> None:
    code = (
        "import sys, dynamorm_async\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'aiobotocore', 'botocore', 'aiohttp', 'boto3', 'anyio', 'awslambdaric', 'aws_xray_sdk'})\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
