"""An in-memory Notehub Jobs API for tests, the demo and anyone without a Notehub account."""

from .api_sim import OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET
from .faults import SimulatedDisconnect
from .seed import (
    DEMO_PRODUCT_UID,
    DEMO_PROJECT_NAME,
    DEMO_PROJECT_UID,
    DEVELOPER_EMAIL,
    DEVELOPER_TOKEN,
    FIELD_TEST_FLEET_UID,
    PRODUCTION_FLEET_UID,
    STAGING_FLEET_UID,
    VIEWER_EMAIL,
    VIEWER_TOKEN,
)
from .serve import serve_simulator
from .simulator import Simulator

__all__ = [
    "DEMO_PRODUCT_UID",
    "DEMO_PROJECT_NAME",
    "DEMO_PROJECT_UID",
    "DEVELOPER_EMAIL",
    "DEVELOPER_TOKEN",
    "FIELD_TEST_FLEET_UID",
    "OAUTH_CLIENT_ID",
    "OAUTH_CLIENT_SECRET",
    "PRODUCTION_FLEET_UID",
    "STAGING_FLEET_UID",
    "VIEWER_EMAIL",
    "VIEWER_TOKEN",
    "SimulatedDisconnect",
    "Simulator",
    "serve_simulator",
]
