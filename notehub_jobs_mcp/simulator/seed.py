"""The seeded demo project: a pump fleet with devices, three fleets and a little job history."""

from __future__ import annotations

import random
import uuid

from .runs import advance, submit_run
from .state import Device, Fleet, Job, JSONObject, Principal, Project, Store

DEMO_PROJECT_UID = "app:2f4e8a10-7c3b-4d5e-9a61-3b8c0d1e2f34"
DEMO_PRODUCT_UID = "com.example.ops:pumps"
DEMO_PROJECT_NAME = "Pump Fleet (demo)"

DEVELOPER_TOKEN = "sim-developer-token"
DEVELOPER_EMAIL = "dev@example.com"
VIEWER_TOKEN = "sim-viewer-token"
VIEWER_EMAIL = "viewer@example.com"

STAGING_FLEET_UID = "fleet:5e2a61d0-0000-4000-8000-000000000001"
PRODUCTION_FLEET_UID = "fleet:5e2a61d0-0000-4000-8000-000000000002"
FIELD_TEST_FLEET_UID = "fleet:5e2a61d0-0000-4000-8000-000000000003"
# The fleet UID someone mistyped in last night's job: it exists nowhere, so devices fail.
MISTYPED_FLEET_UID = "fleet:5e2a61d0-0000-4000-8000-000000000004"

SEED_JOB_AUTHOR = "ops-lead@example.com"
HOUR = 3600
# Seeded history is replayed at a believable speed, independent of the simulator's pace,
# but never slower than fits in a few hours, so the two seeded runs cannot overlap.
HISTORY_PACE = 2.0
HISTORY_RUN_LENGTH = 4 * HOUR

DEFAULT_TOKENS: dict[str, Principal] = {
    DEVELOPER_TOKEN: Principal("developer", DEVELOPER_EMAIL),
    VIEWER_TOKEN: Principal("viewer", VIEWER_EMAIL),
}


def new_uid(rng: random.Random) -> str:
    """A UUID4 string drawn from `rng`, so seeded runs of the simulator repeat exactly."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seed_store(store: Store, *, devices: int, rng: random.Random, now: float) -> Project:
    """Add the demo project to `store` and replay its job history up to `now`."""
    project = Project(
        uid=DEMO_PROJECT_UID,
        name=DEMO_PROJECT_NAME,
        product_uid=DEMO_PRODUCT_UID,
        created=now - 400 * 24 * HOUR,
        env={"alert_email": "pump-ops@example.com", "timezone": "UTC"},
    )
    for uid, label in (
        (STAGING_FLEET_UID, "Staging"),
        (PRODUCTION_FLEET_UID, "Production"),
        (FIELD_TEST_FLEET_UID, "Field-Test"),
    ):
        project.fleets[uid] = Fleet(uid, label)
    pilot_units = _seed_devices(project, devices, rng, now)
    store.add_project(project)
    _seed_history(store, project, pilot_units, rng, now)
    return project


def _seed_devices(project: Project, count: int, rng: random.Random, now: float) -> list[str]:
    """Create `count` devices; returns the UIDs of the 2025 pilot units (all in Staging)."""
    uids = [f"dev:86447504{suffix:07d}" for suffix in sorted(rng.sample(range(10_000_000), count))]
    serial_order = list(range(1, count + 1))
    rng.shuffle(serial_order)
    for uid, serial in zip(uids, serial_order, strict=True):
        project.devices[uid] = _random_device(uid, f"PUMP-2026-{serial:04d}", rng, now)

    # A few devices stand out, so that selections and reports have something to find.
    special = rng.sample(uids, min(count, 19))
    pilot_units = sorted(special[:5])
    for offset, uid in enumerate(pilot_units):
        device = project.devices[uid]
        device.serial_number = f"PUMP-2025-1{offset * 97 + 12:03d}"
        device.fleets = [STAGING_FLEET_UID]
        device.env["firmware_channel"] = "beta"
    for uid in special[5:8]:
        project.devices[uid].serial_number = ""
    for uid in special[8:10]:
        project.devices[uid].disabled = True
    for uid in special[10:12]:
        project.devices[uid].product_uid = ""
    for uid in special[12:14]:
        project.devices[uid].fleets = [PRODUCTION_FLEET_UID, FIELD_TEST_FLEET_UID]
    for uid in special[14:15]:
        project.devices[uid].fleets = []
    # Debug tokens the nightly cleanup job will find and clear.
    for uid in special[15:19]:
        project.devices[uid].env["debug_token"] = f"fs-{rng.randrange(16**6):06x}"
    return pilot_units


def _random_device(uid: str, serial_number: str, rng: random.Random, now: float) -> Device:
    draw = rng.random()
    if draw < 0.2:
        fleet, channel = STAGING_FLEET_UID, "beta"
    elif draw < 0.8:
        fleet, channel = PRODUCTION_FLEET_UID, "stable"
    else:
        fleet, channel = FIELD_TEST_FLEET_UID, "stable"
    env = {"log_level": "1", "firmware_channel": channel}
    if rng.random() < 0.95:
        env["sample_interval_s"] = "300" if rng.random() < 0.9 else "60"
    return Device(
        uid=uid,
        serial_number=serial_number,
        fleets=[fleet],
        env=env,
        product_uid=DEMO_PRODUCT_UID,
        connectivity_assurance=rng.random() < 0.5,
        last_seen=int(now) - rng.randrange(60, 6 * HOUR),
        voltage=round(rng.uniform(3.55, 4.2), 2),
    )


def _seed_history(
    store: Store, project: Project, pilot_units: list[str], rng: random.Random, now: float
) -> None:
    cleanup: JSONObject = {
        "comment": "Clear debug tokens left by field service; keep the default sample interval",
        "select": {"all_devices": True},
        "default_requests": {
            "vars_to_set": {"debug_token": "-"},
            "vars_to_default": {"sample_interval_s": "300"},
        },
    }
    move: JSONObject = {
        "comment": "Retire the 2025 pilot units from Staging; two of them go to Field-Test instead",
        "select": {"devices_by_sn": ["PUMP-2025-1[0-9]*"]},
        "default_requests": {
            "fleets_to_leave": [STAGING_FLEET_UID],
            "fleets_to_join": [PRODUCTION_FLEET_UID],
        },
        "device_requests": {uid: {"fleets_to_join": [MISTYPED_FLEET_UID]} for uid in pilot_units[:2]},
    }
    history = (
        ("Nightly debug token cleanup", cleanup, now - 72 * HOUR, now - 31 * HOUR),
        ("Move PUMP-2025 units to Production", move, now - 20 * HOUR, now - 15 * HOUR),
    )
    pace = min(HISTORY_PACE, HISTORY_RUN_LENGTH / max(1, len(project.devices)))
    for name, definition, created, submitted in history:
        job = Job(new_uid(rng), name, int(created), SEED_JOB_AUTHOR, definition)
        project.jobs[job.uid] = job
        submit_run(
            project,
            job,
            dry_run=False,
            submitted_by=SEED_JOB_AUTHOR,
            now=submitted,
            pace=pace,
            start_delay=5.0,
            seq=store.next_run_seq(),
        )
    advance(project, now)
    # Field service has been at it again since the cleanup ran.
    for uid in sorted(project.devices)[3:5]:
        project.devices[uid].env["debug_token"] = "fs-4471ab"
