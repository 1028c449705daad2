"""Segment quotas changed at run time (control plane, scenarios) on top of the configured ones.

A change is history: the store keeps each with the moment it was made, and the
time model applies it from then on (see :class:`~mockserver.timeline.QuotaWalk`).
The service's :class:`~mockserver.config.Config` carries the latest quota of each
organization, so everything that shows "the quota" shows the one in force. Changes
live in the store, so ``--state`` keeps them across restarts.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from .clock import isoformat
from .config import Config
from .service import FocusService
from .timeline import QuotaLedger


def with_quotas(config: Config, quotas: Mapping[str, int]) -> Config:
    """``config`` with each organization's ``segment_quota`` replaced where ``quotas`` says."""
    organizations = tuple(
        replace(org, segment_quota=quotas[org.id]) if org.id in quotas else org
        for org in config.organizations
    )
    return replace(config, organizations=organizations)


def apply_overrides(service: FocusService, base: Config) -> None:
    """Make the service see ``base`` plus the latest quota changes its store holds."""
    service.configured = base
    service.config = with_quotas(base, service.store.quotas())


def quota_view(service: FocusService, base: Config, organization_id: str) -> dict[str, Any]:
    """One organization's quota as the control plane shows it (``Quota`` in control_openapi.yaml)."""
    organization = service.config.organization(organization_id)
    configured = base.organization(organization_id)
    assert organization is not None and configured is not None
    now = service.clock.now()
    ledger = QuotaLedger.compute(
        service.store.in_organization(organization_id),
        service.quota_history(organization_id),
        service.config.timings,
        now,
    )
    used = sum(ledger.granted.values())
    exhausted = ledger.exhausted_at
    known_moment = exhausted is not None and math.isfinite(exhausted)
    return {
        "organization_id": organization_id,
        "name": organization.name,
        "segment_quota": organization.segment_quota,
        "configured_quota": configured.segment_quota,
        "used": used,
        "remaining": max(organization.segment_quota - used, 0),
        "exhausted": exhausted is not None,
        "exhausted_at": isoformat(exhausted) if known_moment else None,
    }
